pytest_plugins = [
    "tests.fixtures.timeouts",
    "tests.fixtures.database",
    "tests.fixtures.temporal",
    "tests.fixtures.smtp",
    "tests.fixtures.lifecycle",
    "tests.fixtures.cycle",
    "tests.fixtures.fakes",
]
