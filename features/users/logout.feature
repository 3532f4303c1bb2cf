Feature: Logout
  Logging out revokes the refresh token's whole family: no token descended from that login
  can be refreshed any more, and its access tokens stop working at once. Other logins stay signed in.

  Background:
    Given Ada has an account and is logged in

  Scenario: Logging out ends the session
    When Ada logs out
    Then the response status is 204
    And Ada's newest refresh token is refused
    And Ada's access token is refused

  Scenario: Logging out after refreshing ends the whole session
    Given Ada has refreshed her session 2 times
    When Ada logs out
    Then the response status is 204
    And Ada's newest refresh token is refused

  Scenario: Logging out on one device leaves the others signed in
    Given Ada has also logged in on a second device
    When Ada logs out
    Then the response status is 204
    And Ada's second device can still refresh its session

  Scenario: Logging out twice is refused the second time
    Given Ada has logged out
    When Ada logs out
    Then the response status is 401

  Scenario: Logging out with a made-up refresh token is refused
    When someone logs out with the refresh token "not-a-refresh-token"
    Then the response status is 401
