Feature: Refused analytics requests
  A parameter out of its range (a MACD's fast period must be below its slow one: TA-Lib would swap them),
  an unknown interval or moving-average type, or a limit outside 1 to 5000 is refused with 422, naming the
  parameter. So is a TA-Lib parameter the function does not take, or one
  TA-Lib does not accept, and a function whose inputs candles do not have. An unknown function, an
  instrument the platform does not follow, and one without candles of that interval and exchange are
  not found. A malformed symbol is refused, naming the field.

  Background:
    Given an admin Root is logged in
    And Root has imported 60 BTC-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z"

  Scenario: A parameter out of its range is refused, naming it
    When someone tries these analytics requests of BTC-USDT on history
      | request        | query           | field    |
      | moving-average | period=1        | period   |
      | moving-average | period=1001     | period   |
      | moving-average | type=hma        | type     |
      | rsi            | period=1        | period   |
      | rsi            | period=1001     | period   |
      | rsi            | period=fourteen | period   |
      | macd           | fast=1          | fast     |
      | macd           | slow=1001       | slow     |
      | macd           | signal=0        | signal   |
      | macd           | fast=26&slow=26 | fast     |
      | macd           | fast=30&slow=10 | fast     |
      | bollinger      | stddev=0        | stddev   |
      | bollinger      | stddev=11       | stddev   |
      | bollinger      | stddev=nan      | stddev   |
      | bollinger      | period=1        | period   |
      | atr            | period=0        | period   |
      | atr            | period=1001     | period   |
      | rsi            | interval=2m     | interval |
      | macd           | interval=1w     | interval |
      | vwap           | interval=1H     | interval |
      | rsi            | limit=0         | limit    |
      | atr            | limit=5001      | limit    |
      | indicators/SMA | limit=0         | limit    |
      | indicators/SMA | interval=2m     | interval |
    Then each attempt is refused with status 422, naming only its field

  Scenario: Every parameter out of range is named at once
    When someone asks for the "macd" of BTC-USDT on history with "fast=1&slow=1001&signal=0"
    Then the response status is 422
    And the problem names the fields "fast, slow, signal"

  Scenario: The edges of each range are accepted
    When someone tries these analytics requests of BTC-USDT on history
      | request        | query                     |
      | moving-average | period=2&type=wma         |
      | moving-average | period=1000&type=ema      |
      | rsi            | period=2                  |
      | rsi            | period=1000               |
      | macd           | fast=2&slow=1000&signal=1 |
      | bollinger      | period=2&stddev=0.1       |
      | bollinger      | period=1000&stddev=10     |
      | atr            | period=1                  |
      | atr            | period=1000               |
      | rsi            | limit=1                   |
      | rsi            | limit=5000                |
      | vwap           | interval=1d               |
    Then each attempt is answered with status 200

  Scenario: A parameter the TA-Lib function does not take is refused, naming it
    When someone tries these analytics requests of BTC-USDT on history
      | request         | query                  | field      |
      | indicators/SMA  | period=10              | period     |
      | indicators/RSI  | timeperiod=14&stddev=2 | stddev     |
      | indicators/VWAP | timeperiod=14          | timeperiod |
    Then each attempt is refused with status 422, naming only its field

  Scenario: A TA-Lib parameter TA-Lib does not accept is refused, naming it
    When someone tries these analytics requests of BTC-USDT on history
      | request           | query                  | field      |
      | indicators/SMA    | timeperiod=0           | timeperiod |
      | indicators/SMA    | timeperiod=-5          | timeperiod |
      | indicators/SMA    | timeperiod=100001      | timeperiod |
      | indicators/SMA    | timeperiod=99999999999 | timeperiod |
      | indicators/SMA    | timeperiod=ten         | timeperiod |
      | indicators/SMA    | timeperiod=10.5        | timeperiod |
      | indicators/BBANDS | nbdevup=nan            | nbdevup    |
      | indicators/BBANDS | nbdevdn=inf            | nbdevdn    |
      | indicators/BBANDS | nbdevup=much           | nbdevup    |
      | indicators/BBANDS | matype=9               | matype     |
      | indicators/BBANDS | matype=-1              | matype     |
    Then each attempt is refused with status 422, naming only its field

  Scenario: A function that needs more than candles have is refused
    When someone asks for the "indicators/MAVP" of BTC-USDT on history with "(defaults)"
    Then the response status is 422
    And the problem names only the field "name"

  Scenario: A function whose outputs are positions in TA-Lib's input array is refused
    When someone asks for the "indicators/MAXINDEX" of BTC-USDT on history with "(defaults)"
    Then the response status is 422
    And the problem names only the field "name"

  Scenario: An unknown function is not found
    When someone asks for the "indicators/SUPERDUPER" of BTC-USDT on history with "(defaults)"
    Then the response status is 404
    And the response is a problem titled "Unknown indicator"
    And the response is a problem

  Scenario: An instrument without candles of that interval and exchange is not found, naming it
    When someone asks for each of "rsi, macd, moving-average?type=ema, bollinger, atr, vwap, indicators/STOCH" of these symbols on history
      | ETH-USDT |
    Then each attempt is refused with status 404, as a problem titled "No candles" naming its unknown symbol
    When someone asks for the "rsi" of BTC-USDT on elsewhere with "(defaults)"
    Then the response status is 404
    And the response is a problem titled "No candles"

  Scenario: An instrument the platform does not follow is not found, naming it
    When someone asks for each of "rsi, macd, moving-average, bollinger, atr, vwap, indicators/SMA" of these symbols on history
      | FOO-USDT |
      | BTC-EUR  |
    Then each attempt is refused with status 404, as a problem titled "Unknown instrument" naming its unknown symbol

  Scenario: A malformed symbol is refused, naming the field
    When someone tries these analytics requests of BTC on history
      | request        | query      | field  |
      | rsi            | (defaults) | symbol |
      | vwap           | (defaults) | symbol |
      | indicators/SMA | (defaults) | symbol |
    And someone tries these analytics requests of BTC-BTC on history
      | request | query      | field  |
      | macd    | (defaults) | symbol |
    And someone tries these analytics requests of BTC_USDT on history
      | request | query      | field  |
      | atr     | (defaults) | symbol |
    Then each attempt is refused with status 422, naming only its field
