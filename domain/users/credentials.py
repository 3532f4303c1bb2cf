"""Rules for email addresses and passwords."""

from __future__ import annotations

import re
import unicodedata

from domain.shared.errors import FieldError
from domain.users.common_passwords import COMMON_PASSWORDS

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128  # argon2 cost grows with input; a cap keeps hashing from being a DoS lever

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def normalize_email(raw: str) -> str:
    """Emails are unique case-insensitively, so the whole address is compared lower-cased."""
    return raw.strip().lower()


def email_problem(raw: str) -> FieldError | None:
    email = raw.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        return FieldError("email", "must be a valid email address")
    local = email.split("@", 1)[0]
    if len(local) > 64 or local.startswith(".") or local.endswith(".") or ".." in local:
        return FieldError("email", "must be a valid email address")
    return None


def password_problem(password: str, email: str = "") -> FieldError | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return FieldError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        return FieldError("password", f"must be at most {MAX_PASSWORD_LENGTH} characters long")
    folded = password.lower()
    if folded in COMMON_PASSWORDS or len(set(folded)) <= 2:
        return FieldError("password", "is too common; choose a less predictable password")
    if email and folded == normalize_email(email):
        return FieldError("password", "must not be the email address")
    return None


def display_name_problem(name: str) -> FieldError | None:
    stripped = name.strip()
    if not 1 <= len(stripped) <= 100:
        return FieldError("display_name", "must be 1 to 100 characters")
    # Cc: control characters (C0 and C1); Cf: invisible format characters, among them the bidi
    # overrides that make a name render as something else.
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in stripped):
        return FieldError("display_name", "must not contain control or invisible formatting characters")
    return None
