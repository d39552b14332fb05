"""Database settings: a SQLite file named by DATABASE_URL gets the embedded default's tuning."""

from config.settings.base import SQLITE_OPTIONS, database_config


def test_sqlite_url_gets_wal_immediate_and_busy_timeout(tmp_path):
    config = database_config(f"sqlite:///{tmp_path}/khenthuong.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert config["OPTIONS"]["timeout"] == 20
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config == {**config, "OPTIONS": SQLITE_OPTIONS}


def test_default_is_the_same_tuned_sqlite():
    config = database_config(None)
    assert config["OPTIONS"] == SQLITE_OPTIONS
    assert str(config["NAME"]).endswith("db.sqlite3")


def test_postgres_url_is_left_alone():
    config = database_config("postgres://postgres@127.0.0.1:5432/test")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert "transaction_mode" not in config.get("OPTIONS", {})
