import tests.signing  # noqa: F401  (the suite's key file, before any Settings is read)

pytest_plugins = [
    "tests.fixtures.timeouts",
    "tests.fixtures.database",
    "tests.fixtures.temporal",
    "tests.fixtures.smtp",
    "tests.fixtures.lifecycle",
    "tests.fixtures.cycle",
    "tests.fixtures.fakes",
    "tests.fixtures.api",
    "tests.fixtures.browser",
]
