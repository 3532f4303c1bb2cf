Feature: Login
  A member exchanges email and password for an access token and a refresh token.
  Failures never reveal whether an email address has an account, and guessing is slowed
  down: at most five attempts a minute per email address and per client address.

  Background:
    Given Ada has an account

  Scenario: Ada logs in with her email address and password
    When Ada logs in with her password
    Then the response status is 200
    And the response body has exactly the fields "access_token, refresh_token, token_type, expires_in"
    And the response field "token_type" is "bearer"
    And the response field "expires_in" is the number 900
    And the new access token opens Ada's profile

  Scenario: The email address is matched whatever its case
    When someone logs in with email "ADA@Example.COM" and Ada's password
    Then the response status is 200

  Scenario: A wrong password and an unknown email address get the same answer
    When someone logs in with email "ada@example.com" and password "not her password at all"
    And someone logs in with email "nobody@example.com" and password "not her password at all"
    Then both responses have status 401
    And the two responses have identical bodies

  Scenario: The fifth attempt within a minute is still answered
    Given 4 failed login attempts with email "ada@example.com"
    When Ada logs in with her password
    Then the response status is 200

  Scenario: A sixth attempt within a minute is refused, even with the right password
    Given 5 failed login attempts with email "ada@example.com"
    When Ada logs in with her password
    Then the response status is 429
    And the response asks to retry within 60 seconds

  Scenario: The limit per email address holds whichever client asks and however the address is spelled
    Given failed login attempts, each from a different client address, with the emails
      | ada@example.com |
      | ADA@example.com |
      | Ada@Example.com |
      | ada@EXAMPLE.COM |
      | aDa@example.com |
    When Ada logs in with her password from the client address "198.51.100.20"
    Then the response status is 429
    And the response asks to retry within 60 seconds

  Scenario: The limit per client address holds across email addresses
    Given failed login attempts from the client address "203.0.113.7" with the emails
      | grace@example.com  |
      | linus@example.com  |
      | nobody@example.com |
      | alan@example.com   |
      | barbara@example.com |
    When Ada logs in with her password from the client address "203.0.113.7"
    Then the response status is 429
    And the response asks to retry within 60 seconds
    When Ada logs in with her password from the client address "198.51.100.20"
    Then the response status is 200
