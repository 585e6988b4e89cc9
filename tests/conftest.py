pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.temporal",
    "tests.fixtures.smtp",
    "tests.fixtures.lifecycle",
    "tests.fixtures.cycle",
]
