from __future__ import annotations

import pytest

from domain.users.credentials import display_name_problem, email_problem, normalize_email, password_problem


class TestEmail:
    @pytest.mark.parametrize(
        "email",
        [
            "ann@example.com",
            "Ann.Lee@Example.COM",
            "first.last+crypto@mail.example.co.uk",
            "o'brien@example.ie",
            "user_42@sub-domain.example.io",
            "  padded@example.com  ",
            "x@a.bc",
        ],
    )
    def test_accepts_a_realistic_address(self, email: str) -> None:
        assert email_problem(email) is None

    @pytest.mark.parametrize(
        "email",
        [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@example.c",
            "ann@@example.com",
            "ann lee@example.com",
            "ann@exa mple.com",
            ".ann@example.com",
            "ann.@example.com",
            "ann..lee@example.com",
            "ann@-example.com",
            "ann@example-.com",
            "ann@example..com",
            "a" * 65 + "@example.com",
            "ann@" + "a" * 250 + ".com",
            "ann@example.com\nbcc@example.com",
        ],
    )
    def test_rejects_a_malformed_address(self, email: str) -> None:
        problem = email_problem(email)
        assert problem is not None
        assert problem.field == "email"

    def test_normalises_case_and_surrounding_space(self) -> None:
        assert normalize_email("  Ann.Lee@Example.COM ") == "ann.lee@example.com"


class TestPassword:
    @pytest.mark.parametrize(
        "password",
        ["violet-orbit-lantern-42", "tr0ub4dor&3xyz", "12 chars ok!", "ü" * 3 + "ß€@ kryptos", "x1" + "y" * 126],
    )
    def test_accepts_a_long_uncommon_password(self, password: str) -> None:
        assert password_problem(password, "ann@example.com") is None

    @pytest.mark.parametrize("password", ["", "short", "eleven-char"])
    def test_rejects_a_password_under_twelve_characters(self, password: str) -> None:
        problem = password_problem(password)
        assert problem is not None
        assert (problem.field, problem.message) == ("password", "must be at least 12 characters long")

    def test_rejects_a_password_over_128_characters(self) -> None:
        problem = password_problem("correct horse battery " * 6 + "x" * 7)
        assert problem is not None
        assert problem.message == "must be at most 128 characters long"

    @pytest.mark.parametrize(
        "password", ["password1234", "Password1234", "PASSWORD1234", "QwErTy123456", "Bitcoin12345"]
    )
    def test_rejects_a_common_password_whatever_its_case(self, password: str) -> None:
        problem = password_problem(password)
        assert problem is not None
        assert problem.message.startswith("is too common")

    @pytest.mark.parametrize("password", ["zzzzzzzzzzzz", "ZZZZZZzzzzzzzz", "777777777777777"])
    def test_rejects_a_password_of_one_repeated_character(self, password: str) -> None:
        problem = password_problem(password)
        assert problem is not None
        assert problem.message.startswith("is too common")

    def test_rejects_the_email_address_as_password(self) -> None:
        problem = password_problem("Ann.Lee@Example.com", " ann.lee@example.com")
        assert problem is not None
        assert problem.message == "must not be the email address"


class TestDisplayName:
    @pytest.mark.parametrize("name", ["Ann", "  Ann Lee  ", "李小龍", "x" * 100])
    def test_accepts_a_reasonable_name(self, name: str) -> None:
        assert display_name_problem(name) is None

    @pytest.mark.parametrize(
        "name", ["", "   ", "x" * 101, "Ann\x00", "Ann\nLee", "Ann\x85Lee", "\u202eAnn", "Ann\u200bLee"]
    )
    def test_rejects_an_empty_long_or_control_character_name(self, name: str) -> None:
        problem = display_name_problem(name)
        assert problem is not None
        assert problem.field == "display_name"
