"""Secrets come from the environment only, never from config.yaml."""
import os
from dataclasses import dataclass

from pydantic import SecretStr

SECRET_KEYS = {
    "app_id": "FEISHU_APP_ID",
    "app_secret": "FEISHU_APP_SECRET",
    "verification_token": "FEISHU_VERIFICATION_TOKEN",
    "encrypt_key": "FEISHU_ENCRYPT_KEY",
}


@dataclass(frozen=True)
class FeishuSecrets:
    app_id: str | None
    app_secret: SecretStr | None
    verification_token: SecretStr | None
    encrypt_key: SecretStr | None

    @property
    def can_send(self) -> bool:
        """True when the app credentials needed to call the Open API are set."""
        return bool(self.app_id and self.app_secret and self.app_secret.get_secret_value())

    def credentials(self) -> tuple[str, str]:
        """The app id and secret; only when `can_send`."""
        if not (self.app_id and self.app_secret):
            raise ValueError("FEISHU_APP_ID and FEISHU_APP_SECRET are not set")
        return self.app_id, self.app_secret.get_secret_value()


def _secret(env: dict[str, str], key: str) -> SecretStr | None:
    value = env.get(key) or None
    return SecretStr(value) if value else None


def load_secrets(env: dict[str, str] | None = None) -> FeishuSecrets:
    """Read the Feishu app secrets from the environment (or the mapping given)."""
    env = dict(os.environ) if env is None else env
    return FeishuSecrets(
        app_id=env.get(SECRET_KEYS["app_id"]) or None,
        app_secret=_secret(env, SECRET_KEYS["app_secret"]),
        verification_token=_secret(env, SECRET_KEYS["verification_token"]),
        encrypt_key=_secret(env, SECRET_KEYS["encrypt_key"]),
    )
