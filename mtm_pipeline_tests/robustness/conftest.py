"""Markers of the robustness tests."""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a minute (deselect with -m 'not slow')")
