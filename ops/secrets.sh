# Sourced by ops/prod.sh, ops/load.sh and ops/bench.sh (from the project's root): the production
# settings and their secrets (DJANGO_SECRET_KEY, AUDIT_SIGNING_KEY, BALLOT_SEALING_KEY), generated
# once into var/secrets.env (git-ignored, mode 600) and exported. Keep that file with the backups
# (README).
mkdir -p var
if [ ! -f var/secrets.env ]; then
  (umask 077; .venv/bin/python -c 'import secrets
for name in ("DJANGO_SECRET_KEY", "AUDIT_SIGNING_KEY", "BALLOT_SEALING_KEY"):
    print(f"{name}={secrets.token_urlsafe(48)}")' >var/secrets.env)
  echo "== secrets generated in var/secrets.env (keep them beside the backups)"
fi
set -a
# shellcheck disable=SC1091
. var/secrets.env
set +a
export DJANGO_SETTINGS_MODULE=config.settings.production
