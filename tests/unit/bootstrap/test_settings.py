from __future__ import annotations

import pytest

from bootstrap.settings import SettingsError, load_settings

SECRET = "s" * 32
FULL = {
    "CAP_POSTGRES_DSN": "postgresql://cap:cap@db:5432/cap",
    "CAP_REDIS_URL": "redis://cache:6379/0",
    "CAP_KAFKA_BOOTSTRAP": "kafka:9092",
    "CAP_SECRET_KEY": SECRET,
}


class TestDefaults:
    def test_no_variables_mean_the_embedded_mode_on_localhost(self) -> None:
        settings = load_settings({})
        assert settings.mode == "embedded"
        assert (settings.host, settings.port, settings.data_dir) == ("127.0.0.1", 8000, ".data")
        assert (settings.access_token_ttl, settings.refresh_token_ttl) == (900, 7 * 24 * 3600)
        assert (settings.login_attempts, settings.login_window) == (5, 60)
        assert settings.cors_origins == ()

    def test_variables_without_the_cap_prefix_are_ignored(self) -> None:
        assert load_settings({"PORT": "9999", "POSTGRES_DSN": "postgresql://x/y"}).port == 8000

    def test_typed_values_are_converted(self) -> None:
        settings = load_settings({"CAP_PORT": "9001", "CAP_WORKERS_IN_PROCESS": "false", "CAP_LOG_FORMAT": "console"})
        assert (settings.port, settings.workers_in_process, settings.log_format) == (9001, False, "console")

    def test_explicit_overrides_win_over_the_environment(self) -> None:
        assert load_settings({"CAP_PORT": "9001"}, port=9002).port == 9002


class TestFullMode:
    def test_all_three_servers_and_a_long_secret_mean_full_mode(self) -> None:
        settings = load_settings(FULL)
        assert settings.mode == "full"
        assert settings.postgres_dsn == FULL["CAP_POSTGRES_DSN"]

    @pytest.mark.parametrize(
        ("given", "missing"),
        [
            (["CAP_POSTGRES_DSN"], ["CAP_REDIS_URL", "CAP_KAFKA_BOOTSTRAP"]),
            (["CAP_REDIS_URL"], ["CAP_POSTGRES_DSN", "CAP_KAFKA_BOOTSTRAP"]),
            (["CAP_POSTGRES_DSN", "CAP_REDIS_URL"], ["CAP_KAFKA_BOOTSTRAP"]),
            (["CAP_KAFKA_BOOTSTRAP", "CAP_REDIS_URL"], ["CAP_POSTGRES_DSN"]),
        ],
    )
    def test_a_partial_server_configuration_names_what_is_missing(self, given: list[str], missing: list[str]) -> None:
        environ = {name: FULL[name] for name in given} | {"CAP_SECRET_KEY": SECRET}
        with pytest.raises(SettingsError) as raised:
            load_settings(environ)
        message = str(raised.value)
        for name in missing:
            assert name in message
        for name in given:
            assert name not in message

    @pytest.mark.parametrize("secret", [None, "", "s" * 31])
    def test_full_mode_needs_a_secret_key_of_32_characters(self, secret: str | None) -> None:
        environ = {k: v for k, v in FULL.items() if k != "CAP_SECRET_KEY"}
        if secret is not None:
            environ["CAP_SECRET_KEY"] = secret
        with pytest.raises(SettingsError, match="CAP_SECRET_KEY"):
            load_settings(environ)

    def test_the_embedded_mode_needs_no_secret_key(self) -> None:
        assert load_settings({"CAP_SECRET_KEY": ""}).mode == "embedded"


class TestValues:
    def test_cors_origins_are_a_comma_separated_list(self) -> None:
        settings = load_settings({"CAP_CORS_ORIGINS": "https://app.example.com, http://localhost:5173,, "})
        assert settings.cors_origins == ("https://app.example.com", "http://localhost:5173")

    def test_one_cors_origin_is_a_list_of_one(self) -> None:
        assert load_settings({"CAP_CORS_ORIGINS": "https://app.example.com"}).cors_origins == (
            "https://app.example.com",
        )

    @pytest.mark.parametrize("port", ["abc", "", "80.5", "0", "-1", "65536", "99999"])
    def test_rejects_a_port_that_is_no_tcp_port(self, port: str) -> None:
        with pytest.raises(SettingsError):
            load_settings({"CAP_PORT": port})

    @pytest.mark.parametrize("port", ["1", "8000", "65535"])
    def test_accepts_any_tcp_port(self, port: str) -> None:
        assert load_settings({"CAP_PORT": port}).port == int(port)

    def test_rejects_an_unknown_log_format(self) -> None:
        with pytest.raises(SettingsError, match="log_format"):
            load_settings({"CAP_LOG_FORMAT": "xml"})
