"""Static files for production: WhiteNoise's compressed storage with hashed names (cached for
ever by browsers), made tolerant of vendored files (static/vendor/): a JavaScript file's
`sourceMappingURL` to a map that was not vendored is left as it is instead of failing
collectstatic, and a name missing from the manifest is served under its plain name instead of
failing the page.

Compressing the vendored files (gzip and, when installed, brotli) takes a minute or more on a
small machine: `DJANGO_STATIC_COMPRESS=false` (the stack tests) collects them uncompressed."""

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False
    patterns = tuple(
        (glob, rules) for glob, rules in ManifestStaticFilesStorage.patterns if glob != "*.js"
    )

    def compress_files(self, paths):  # type: ignore[no-untyped-def]
        if not getattr(settings, "STATIC_COMPRESS", True):
            return iter(())
        return super().compress_files(paths)
