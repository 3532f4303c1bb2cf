Feature: Preferences
  A member keeps display preferences: a base currency, a default chart interval, a time zone
  and a theme. Every value is validated; a refused change leaves the preferences as they were.

  Background:
    Given Ada has an account and is logged in

  Scenario: A new account has default preferences
    When Ada reads her preferences
    Then the response status is 200
    And the response body has exactly the fields "base_currency, default_interval, timezone, theme"
    And the response field "base_currency" is "USD"
    And the response field "default_interval" is "1h"
    And the response field "timezone" is "UTC"
    And the response field "theme" is "light"

  Scenario Outline: Valid preferences are kept as given
    When Ada sets her preferences to "<currency>", "<interval>", "<timezone>" and "<theme>"
    Then the response status is 200
    And the response field "base_currency" is "<currency>"
    And the response field "default_interval" is "<interval>"
    And the response field "timezone" is "<timezone>"
    And the response field "theme" is "<theme>"
    And Ada's preferences are "<currency>", "<interval>", "<timezone>" and "<theme>"

    Examples:
      | currency | interval | timezone                       | theme |
      | EUR      | 15m      | Europe/Berlin                  | dark  |
      | USDT     | 1m       | America/New_York               | light |
      | BTC      | 1d       | Asia/Kolkata                   | dark  |
      | JPY      | 5m       | America/Argentina/Buenos_Aires | light |
      | GBP      | 4h       | UTC                            | dark  |

  Scenario Outline: An invalid value is refused, naming its field, and changes nothing
    Given Ada has set her preferences to "EUR", "4h", "Europe/Berlin" and "dark"
    When Ada sets her preferences to "GBP", "15m", "Asia/Tokyo" and "light" but with <field> "<value>"
    Then the response status is 422
    And the problem names only the field "<field>"
    And Ada's preferences are "EUR", "4h", "Europe/Berlin" and "dark"

    Examples:
      | field            | value          |
      | base_currency    | usd            |
      | base_currency    | XYZ            |
      | base_currency    | EURO           |
      | default_interval | 2h             |
      | default_interval | 1w             |
      | default_interval | 1H             |
      | timezone         | Mars/Olympus   |
      | timezone         | CET+1          |
      | timezone         | ../etc/passwd  |
      | timezone         | Europe/        |
      | theme            | blue           |
      | theme            | Dark           |

  Scenario: Every invalid value is named at once
    When Ada sets her preferences to "usd", "2h", "Mars/Olympus" and "blue"
    Then the response status is 422
    And the problem names the fields "base_currency, default_interval, timezone, theme"
    And Ada's preferences are "USD", "1h", "UTC" and "light"

  Scenario: Preferences need an access token
    When someone reads the preferences without an access token
    Then the response status is 401
