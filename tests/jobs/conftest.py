import pytest


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the actions inside; their on-commit callbacks run at its end, as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
