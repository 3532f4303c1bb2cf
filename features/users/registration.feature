Feature: Registration
  A visitor opens an account with an email address, a password and a display name.
  An email address belongs to one account whatever its letter case. Weak passwords,
  malformed addresses and blank names are refused with an error naming the field.

  Scenario: A visitor registers and gets the new account back
    When a visitor registers with email "ada@example.com", password "correct horse battery staple" and display name "Ada Lovelace"
    Then the response status is 201
    And the response body has exactly the fields "id, email, display_name, created_at"
    And the response field "id" is a UUID
    And the response field "email" is "ada@example.com"
    And the response field "display_name" is "Ada Lovelace"
    And the response field "created_at" is a timestamp with a time zone

  Scenario: A password of exactly twelve uncommon characters is long enough
    When a visitor registers with email "ada@example.com", password "Tr0ub4dor&3x" and display name "Ada"
    Then the response status is 201

  Scenario Outline: An email address already registered is refused whatever its case
    Given Grace has an account with email "grace@example.com"
    When a visitor registers with email "<email>", password "another good passphrase" and display name "Impostor"
    Then the response status is 409
    And the response is a problem titled "Email already registered"

    Examples:
      | email             |
      | grace@example.com |
      | GRACE@EXAMPLE.COM |
      | Grace@Example.Com |

  Scenario Outline: A weak password is refused and the email address stays free
    When a visitor registers with email "ada@example.com", password "<password>" and display name "Ada"
    Then the response status is 422
    And the problem names only the field "password"
    And the email "ada@example.com" is free to register

    Examples:
      | password        | weakness                              |
      | elevenchars     | one character short of twelve         |
      | short           | far too short                         |
      | password1234    | among the common passwords            |
      | Bitcoin12345    | common, in another letter case        |
      | administrator   | a common word long enough to pass     |
      | ada@example.com | the email address itself              |

  Scenario Outline: A malformed email address is refused
    When a visitor registers with email "<email>", password "correct horse battery staple" and display name "Ada"
    Then the response status is 422
    And the problem names only the field "email"

    Examples:
      | email                     |
      | not-an-email              |
      | ada@                      |
      | @example.com              |
      | ada@example               |
      | ada lovelace@example.com  |
      | ada..lovelace@example.com |
      | .ada@example.com          |
      | ada@exa_mple.com          |

  Scenario: Every broken field is named at once
    When a visitor registers with email "nope", password "short" and display name "   "
    Then the response status is 422
    And the problem names the fields "email, password, display_name"

  Scenario: A blank display name is refused
    When a visitor registers with email "ada@example.com", password "correct horse battery staple" and display name "   "
    Then the response status is 422
    And the problem names only the field "display_name"

  Scenario: A registration without a display name is refused, naming the missing field
    When a visitor registers with email "ada@example.com" and password "correct horse battery staple" but no display name
    Then the response status is 422
    And the problem names only the field "display_name"
