import pytest

pytest_plugins = [
    "tests.fixtures.timeouts",
    "tests.fixtures.database",
    "tests.fixtures.temporal",
    "tests.fixtures.smtp",
    "tests.fixtures.lifecycle",
    "tests.fixtures.cycle",
]

# Hard timeouts (seconds) of the long tests in modules that are being redesigned
# elsewhere; the same as a @pytest.mark.timeout on each of their tests. Measured on a
# 2-core machine: the demo ~50 s idle, the end-to-end runs ~20 s each; a saturated
# machine takes about three times as long.
LONG_TESTS = {
    "tests/test_demo.py": 600,
    "tests/test_end_to_end.py": 300,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        seconds = LONG_TESTS.get(item.nodeid.split("::")[0])
        if seconds is not None and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(seconds))
