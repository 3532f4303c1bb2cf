Feature: Refresh-token rotation
  A refresh token buys a new token pair exactly once. A refresh token that comes back after
  it was spent means someone holds a copy: every token descended from that login is revoked.

  Background:
    Given Ada has an account and is logged in

  Scenario: Refreshing gives a new token pair
    When Ada refreshes her session
    Then the response status is 200
    And the response body has exactly the fields "access_token, refresh_token, token_type, expires_in"
    And the response field "token_type" is "bearer"
    And the response field "expires_in" is the number 900
    And the new refresh token differs from the one presented
    And the new access token opens Ada's profile

  Scenario: A refresh token can be used only once
    Given Ada has refreshed her session
    When someone refreshes with Ada's previous refresh token
    Then the response status is 401

  Scenario: Presenting a spent refresh token revokes the whole login
    Given Ada has refreshed her session 2 times
    When someone refreshes with Ada's first refresh token
    Then the response status is 401
    And Ada's newest refresh token is refused
    And Ada's access token is refused

  Scenario: Reuse revokes only the login it came from
    Given Ada has also logged in on a second device
    And Ada has refreshed her session
    When someone refreshes with Ada's first refresh token
    Then the response status is 401
    And Ada's second device can still refresh its session

  Scenario: An access token is not a refresh token
    When someone refreshes with Ada's access token
    Then the response status is 401

  Scenario Outline: A made-up refresh token is refused
    When someone refreshes with the refresh token "<token>"
    Then the response status is 401

    Examples:
      | token                                                                                  |
      | not-a-refresh-token                                                                    |
      | AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA |
