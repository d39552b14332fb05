import pytest
import schemathesis
from django.core.cache import cache
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def openapi():
    """The API's schema, to check real answers against (as tests/test_schema.py does)."""
    return schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


@pytest.fixture(autouse=True)
def _fresh_lookup_counts():
    """Look-ups by CCCD are counted per user and hour in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()
