Feature: Candles and their historical import
  Candles are read per instrument and interval, oldest first, at most 1000 a page, with a cursor
  to the next page. An admin imports historical 1m candles from Binance's kline CSV or a plain
  time,open,high,low,close,volume CSV; the higher intervals are rolled up from them. A file with
  any bad row is refused by line number and nothing of it is stored; importing a file again
  changes nothing. The candles here are from 2025, long before the simulated exchange's own.

  Background:
    Given an admin Root is logged in

  Scenario: Imported candles are served oldest first
    When Root imports these BTC-USDT 1m candles
      """
      time,open,high,low,close,volume
      2025-03-03T10:02:00Z,101.90,102.40,101.10,101.20,7.25
      2025-03-03T10:00:00Z,100.50,101.00,100.00,100.75,12.5
      2025-03-03T10:01:00Z,100.75,102.00,100.70,101.90,3
      """
    Then the response status is 201
    And the response body has exactly the fields "symbol, exchange, interval, imported, rolled_up, first_open_time, last_open_time"
    And the response field "symbol" is "BTC-USDT"
    And the response field "exchange" is "simulated"
    And the response field "interval" is "1m"
    And the response field "imported" is the number 3
    And the response field "first_open_time" is "2025-03-03T10:00:00Z"
    And the response field "last_open_time" is "2025-03-03T10:02:00Z"
    When someone reads the BTC-USDT 1m candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z"
    Then the response status is 200
    And the response field "symbol" is "BTC-USDT"
    And the response field "exchange" is "simulated"
    And the response field "interval" is "1m"
    And the response has no next cursor
    And the candles are
      | open_time            | close_time           | open   | high   | low    | close  | volume | trades | final |
      | 2025-03-03T10:00:00Z | 2025-03-03T10:01:00Z | 100.50 | 101.00 | 100.00 | 100.75 | 12.5   | 0      | true  |
      | 2025-03-03T10:01:00Z | 2025-03-03T10:02:00Z | 100.75 | 102.00 | 100.70 | 101.90 | 3      | 0      | true  |
      | 2025-03-03T10:02:00Z | 2025-03-03T10:03:00Z | 101.90 | 102.40 | 101.10 | 101.20 | 7.25   | 0      | true  |

  Scenario: Binance's kline CSV is imported with its trade counts
    When Root imports these ETH-USDT 1m candles
      """
      1740996000000,2150.10,2151.00,2149.80,2150.90,35.1200,1740996059999,75504.3,412,17.5,37626.1,0
      1740996060000,2150.90,2152.30,2150.20,2152.00,21.0040,1740996119999,45187.0,268,11.2,24097.4,0
      """
    Then the response status is 201
    And the response field "imported" is the number 2
    When someone reads the ETH-USDT 1m candles from "2025-03-03T10:00:00Z" to "2025-03-03T10:05:00Z"
    Then the candles are
      | open_time            | close_time           | open    | high    | low     | close   | volume  | trades | final |
      | 2025-03-03T10:00:00Z | 2025-03-03T10:01:00Z | 2150.10 | 2151.00 | 2149.80 | 2150.90 | 35.1200 | 412    | true  |
      | 2025-03-03T10:01:00Z | 2025-03-03T10:02:00Z | 2150.90 | 2152.30 | 2150.20 | 2152.00 | 21.0040 | 268    | true  |

  Scenario: Binance's 2025 archives with microsecond times are imported too
    When Root imports these ETH-USDT 1m candles
      """
      1740996000000000,2150.10,2151.00,2149.80,2150.90,35.12,1740996059999999,75504.3,412,17.5,37626.1,0
      """
    Then the response status is 201
    And the response field "first_open_time" is "2025-03-03T10:00:00Z"
    When someone reads the ETH-USDT 1m candles from "2025-03-03T10:00:00Z" to "2025-03-03T10:01:00Z"
    Then the candle open times are "2025-03-03T10:00:00Z"

  Scenario: Plain CSV times may be written as RFC 3339 or as epoch seconds or milliseconds
    When Root imports these BTC-USDT 1m candles
      """
      time,open,high,low,close,volume
      2025-03-03T10:00:00Z,100,101,99,100.5,1
      2025-03-03T11:01:00+01:00,100,101,99,100.5,1
      1740996120,100,101,99,100.5,1
      1740996180000,100,101,99,100.5,1
      """
    Then the response status is 201
    When someone reads the BTC-USDT 1m candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z"
    Then the candle open times are "2025-03-03T10:00:00Z, 2025-03-03T10:01:00Z, 2025-03-03T10:02:00Z, 2025-03-03T10:03:00Z"

  Scenario: Imported 1m candles are rolled up into every higher interval
    When Root imports these BTC-USDT 1m candles
      """
      time,open,high,low,close,volume
      2025-03-03T10:00:00Z,100,101,99,100.5,1
      2025-03-03T10:01:00Z,100.5,103,100,102,2
      2025-03-03T10:02:00Z,102,102.5,98,99,3
      2025-03-03T10:03:00Z,99,100,98.5,99.5,4
      2025-03-03T10:04:00Z,99.5,101,99,100,5
      2025-03-03T10:05:00Z,100,104,100,103,6
      """
    Then the response status is 201
    And the response field "imported" is the number 6
    And the response field "rolled_up" is the number 6
    When someone reads the BTC-USDT 5m candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z"
    Then the candles are
      | open_time            | close_time           | open | high | low | close | volume | final |
      | 2025-03-03T10:00:00Z | 2025-03-03T10:05:00Z | 100  | 103  | 98  | 100   | 15     | true  |
      | 2025-03-03T10:05:00Z | 2025-03-03T10:10:00Z | 100  | 104  | 100 | 103   | 6      | true  |
    When someone reads the BTC-USDT 15m candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z"
    Then the candles are
      | open_time            | close_time           | open | high | low | close | volume | final |
      | 2025-03-03T10:00:00Z | 2025-03-03T10:15:00Z | 100  | 104  | 98  | 103   | 21     | true  |
    When someone reads the BTC-USDT 1h candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z"
    Then the candles are
      | open_time            | close_time           | open | high | low | close | volume | final |
      | 2025-03-03T10:00:00Z | 2025-03-03T11:00:00Z | 100  | 104  | 98  | 103   | 21     | true  |
    When someone reads the BTC-USDT 4h candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z"
    Then the candles are
      | open_time            | close_time           | open | high | low | close | volume | final |
      | 2025-03-03T08:00:00Z | 2025-03-03T12:00:00Z | 100  | 104  | 98  | 103   | 21     | true  |
    When someone reads the BTC-USDT 1d candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z"
    Then the candles are
      | open_time            | close_time           | open | high | low | close | volume | final |
      | 2025-03-03T00:00:00Z | 2025-03-04T00:00:00Z | 100  | 104  | 98  | 103   | 21     | true  |

  Scenario: A later import into the same day is rolled up with the minutes already stored
    Given Root has imported BTC-USDT 1m candles at the times "2025-03-03T10:00:00Z" and "2025-03-03T10:01:00Z"
    When Root imports BTC-USDT 1m candles at the times "2025-03-03T10:02:00Z" and "2025-03-03T10:03:00Z"
    Then the response status is 201
    When someone reads the BTC-USDT 5m candles from "2025-03-03T10:00:00Z" to "2025-03-03T10:05:00Z"
    Then the candles have the volumes "4"
    When someone reads the BTC-USDT 1d candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z"
    Then the candles have the volumes "4"

  Scenario: Importing the same file again changes nothing
    Given Root has imported BTC-USDT 1m candles at the times "2025-03-03T10:00:00Z" and "2025-03-03T10:01:00Z"
    When Root imports BTC-USDT 1m candles at the times "2025-03-03T10:00:00Z" and "2025-03-03T10:01:00Z"
    Then the response status is 201
    And the response field "imported" is the number 2
    When someone reads the BTC-USDT 1m candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z"
    Then the candles have the volumes "1, 1"
    When someone reads the BTC-USDT 5m candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z"
    Then the candles have the volumes "2"

  Scenario: A corrected file replaces the candles and their roll-ups
    Given Root has imported these BTC-USDT 1m candles
      """
      time,open,high,low,close,volume
      2025-03-03T10:00:00Z,100,101,99,100.5,1
      2025-03-03T10:01:00Z,100.5,103,100,102,2
      """
    When Root imports these BTC-USDT 1m candles
      """
      time,open,high,low,close,volume
      2025-03-03T10:01:00Z,100.5,105,100,104,9
      """
    Then the response status is 201
    When someone reads the BTC-USDT 1m candles from "2025-03-03T10:00:00Z" to "2025-03-03T10:05:00Z"
    Then the candles have the volumes "1, 9"
    When someone reads the BTC-USDT 5m candles from "2025-03-03T10:00:00Z" to "2025-03-03T10:05:00Z"
    Then the candles are
      | open_time            | open | high | low | close | volume |
      | 2025-03-03T10:00:00Z | 100  | 105  | 99  | 104   | 10     |

  Scenario: A file can be uploaded as a form field too
    When Root uploads BTC-USDT 1m candles at the times "2025-03-03T10:00:00Z" and "2025-03-03T10:01:00Z" as a form
    Then the response status is 201
    And the response field "imported" is the number 2
    When someone reads the BTC-USDT 1m candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z"
    Then the candle open times are "2025-03-03T10:00:00Z, 2025-03-03T10:01:00Z"

  Scenario: Candles are kept per exchange
    When Root imports BTC-USDT 1m candles from binance at the times "2025-03-03T10:00:00Z" and "2025-03-03T10:01:00Z"
    Then the response status is 201
    And the response field "exchange" is "binance"
    When someone reads the BTC-USDT 1m candles of binance from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z"
    Then the response field "exchange" is "binance"
    And the candle open times are "2025-03-03T10:00:00Z, 2025-03-03T10:01:00Z"
    When someone reads the BTC-USDT 1m candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z"
    Then the response field "exchange" is "simulated"
    And there are no candles

  Scenario: Candles are read from the start, inclusive, to the end, exclusive
    Given Root has imported 12 BTC-USDT 1m candles from "2025-03-03T10:00:00Z"
    When someone reads the BTC-USDT 1m candles from "2025-03-03T10:03:00Z" to "2025-03-03T10:07:00Z"
    Then the candle open times are "2025-03-03T10:03:00Z, 2025-03-03T10:04:00Z, 2025-03-03T10:05:00Z, 2025-03-03T10:06:00Z"

  Scenario: Paging through candles with the cursor
    Given Root has imported 12 BTC-USDT 1m candles from "2025-03-03T10:00:00Z"
    When someone pages through the BTC-USDT 1m candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z", 5 at a time
    Then the pages hold 5, 5 and 2 candles
    And the last page has no next cursor
    And the pages together hold the 12 candles from "2025-03-03T10:00:00Z", oldest first, each once

  Scenario: A page holds at most 1000 candles
    Given Root has imported 1001 BTC-USDT 1m candles from "2025-03-03T00:00:00Z"
    When someone pages through the BTC-USDT 1m candles from "2025-03-03T00:00:00Z" to "2025-03-04T00:00:00Z", 1000 at a time
    Then the pages hold 1000 and 1 candles
    And the pages together hold the 1001 candles from "2025-03-03T00:00:00Z", oldest first, each once

  Scenario: A file with bad rows is refused line by line and nothing of it is stored
    When Root imports these BTC-USDT 1m candles
      """
      time,open,high,low,close,volume
      2025-03-03T10:00:00Z,100,101,99,100.5,1
      2025-03-03T10:01:30Z,100.5,103,100,102,2
      2025-03-03T10:02:00Z,102,102.5,98,99,3
      2025-03-03T10:03:00Z,99,98,100,99.5,4
      """
    Then the response status is 422
    And the problem names the fields "line 3, line 5"
    And no BTC-USDT candles are stored on "2025-03-03"

  Scenario: One bad row rejects the whole file, naming its line
    When Root tries to import BTC-USDT 1m files whose second row is each of these
      | row                                    | fault                     |
      | 2025-03-03T10:01:30Z,100,101,99,100,1  | not aligned to the minute |
      | 2025-03-03T10:01:00Z,100,99,101,100,1  | low above high            |
      | 2025-03-03T10:01:00Z,100,101,99,102,1  | close above high          |
      | 2025-03-03T10:01:00Z,100,101,99,100,-1 | negative volume           |
      | 2025-03-03T10:01:00Z,0,101,0,100,1     | price not above zero      |
      | 2025-03-03T10:01:00Z,abc,101,99,100,1  | not a number              |
      | 2025-03-03T10:01:00Z,NaN,101,99,100,1  | not a finite number       |
      | 2025-03-03T10:01:00Z,100,101,99,100    | a column missing          |
      | 2025-03-03T10:00:00Z,100,101,99,100,1  | the same minute twice     |
      | yesterday,100,101,99,100,1             | not a time                |
    Then each attempt is refused with status 422, naming only the field "line 3"
    And no BTC-USDT candles are stored on "2025-03-03"

  Scenario: A Binance row whose close time does not end its minute is refused
    When Root imports these ETH-USDT 1m candles
      """
      1740996000000,2150.10,2151.00,2149.80,2150.90,35.12,1740996059999,75504.3,412,17.5,37626.1,0
      1740996060000,2150.90,2152.30,2150.20,2152.00,21.00,1740996060000,45187.0,268,11.2,24097.4,0
      """
    Then the response status is 422
    And the problem names only the field "line 2"
    And no ETH-USDT candles are stored on "2025-03-03"

  Scenario: A file in an unknown format is refused, naming its first line
    When Root imports these BTC-USDT 1m candles
      """
      date;price
      2025-03-03;100
      """
    Then the response status is 422
    And the problem names only the field "line 1"

  Scenario: A file without candles is refused
    When Root imports an empty BTC-USDT 1m file
    Then the response status is 422
    And the problem names only the field "file"
    When Root imports a BTC-USDT 1m file holding only the header
    Then the response status is 422
    And the problem names only the field "file"

  Scenario: A member who is not an admin cannot import candles
    Given Ada has an account and is logged in
    When Ada imports BTC-USDT 1m candles at the times "2025-03-03T10:00:00Z" and "2025-03-03T10:01:00Z"
    Then the response status is 403
    And the response is a problem
    And no BTC-USDT candles are stored on "2025-03-03"

  Scenario: Importing candles needs an access token
    When someone imports BTC-USDT 1m candles without an access token
    Then the response status is 401
    And the response is a problem
    And no BTC-USDT candles are stored on "2025-03-03"

  Scenario: Candles of an instrument the platform does not follow can be neither imported nor read
    When Root imports FOO-USDT 1m candles at the times "2025-03-03T10:00:00Z" and "2025-03-03T10:01:00Z"
    Then the response status is 404
    And the response is a problem titled "Unknown instrument"
    When someone reads the FOO-USDT 1m candles
    Then the response status is 404
    And the response is a problem titled "Unknown instrument"

  Scenario: An import with a malformed symbol or an unknown interval is refused, naming the field
    When Root tries to import candles with each of these parameters
      | symbol   | interval | field    |
      | BTC      | 1m       | symbol   |
      | BTC-USDT | 2m       | interval |
      | BTC-USDT | 1w       | interval |
    Then each attempt is refused with status 422, naming only its field
    And no BTC-USDT candles are stored on "2025-03-03"

  Scenario: A candle query with a bad parameter is refused, naming it
    When someone tries to read candles with each of these queries
      | symbol   | query                                                           | field    |
      | BTC      | interval=1m                                                     | symbol   |
      | BTC-USDT | interval=2m                                                     | interval |
      | BTC-USDT | interval=1H                                                     | interval |
      | BTC-USDT | interval=1m&limit=0                                             | limit    |
      | BTC-USDT | interval=1m&limit=1001                                          | limit    |
      | BTC-USDT | interval=1m&start=yesterday                                     | start    |
      | BTC-USDT | interval=1m&start=2025-03-04T00:00:00Z&end=2025-03-03T00:00:00Z | end      |
      | BTC-USDT | interval=1m&start=2025-03-03T00:00:00Z&end=2025-03-03T00:00:00Z | end      |
      | BTC-USDT | interval=1m&cursor=next                                         | cursor   |
    Then each attempt is refused with status 422, naming only its field
