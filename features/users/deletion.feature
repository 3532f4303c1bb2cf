Feature: Account deletion
  A member deletes their account: every token dies with it, the account can no longer be
  found or logged into, and its email address is free to register again.

  Background:
    Given Ada has an account and is logged in

  Scenario: Ada deletes her account and every token dies with it
    Given Ada has also logged in on a second device
    When Ada deletes her account
    Then the response status is 204
    And Ada's access token is refused
    And Ada's newest refresh token is refused
    And Ada's second device can no longer refresh its session
    And nobody can log in with email "ada@example.com" and Ada's password

  Scenario: A deleted account's email address can be registered again
    Given Ada has deleted her account
    When a visitor registers with email "ada@example.com", password "a brand new passphrase" and display name "New Ada"
    Then the response status is 201
    And the response field "id" is not Ada's id
    When someone logs in with email "ada@example.com" and password "a brand new passphrase"
    Then the response status is 200
    When someone logs in with email "ada@example.com" and Ada's password
    Then the response status is 401

  Scenario: An admin no longer finds a deleted account
    Given an admin Root is logged in
    And Ada has deleted her account
    When Root looks up Ada by id
    Then the response status is 404

  Scenario: A deleted account cannot be deleted again
    Given Ada has deleted her account
    When Ada deletes her account
    Then the response status is 401

  Scenario: Deleting an account needs an access token
    When someone deletes the account without an access token
    Then the response status is 401
    When Ada reads her profile
    Then the response status is 200
