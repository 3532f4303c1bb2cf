Feature: Named indicators over stored candles
  The moving averages, RSI, MACD, Bollinger bands, ATR and VWAP of an instrument are computed over its
  stored candles of one interval and exchange, and equal TA-Lib's own result over the same candles.
  Each point is at the open time of its candle; while an indicator has not yet seen enough candles
  (its warm-up, TA-Lib's lookback) its point is null. A bucket without a candle had no trades: it is
  filled with a flat candle at the previous close and no volume, and counted as filled, so a gap
  never turns the rest of the series into nulls.
  The candles here are imported from 2025 into an exchange of their own, "history", so the simulated
  exchange's live candles never mix in.

  Background:
    Given an admin Root is logged in

  Scenario Outline: <indicator> equals TA-Lib's <function> over the stored candles, null during its warm-up
    Given Root has imported 300 BTC-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z"
    When someone asks for the "<path>" of BTC-USDT on history with "<query>"
    Then the response status is 200
    And the response is for BTC-USDT 1m on history
    And the indicator is "<function>" with the parameters <parameters> and the outputs "<outputs>"
    And no bucket was filled
    And the points are at the 300 1m buckets from "2025-03-03T00:00:00Z", oldest first
    And the first <warm-up> points are null and none after them
    And the points are TA-Lib's <function> with the parameters <parameters> over the stored candles

    Examples:
      | indicator                   | path           | query                   | function | parameters                                                      | outputs                          | warm-up |
      | the default moving average  | moving-average | (defaults)              | SMA      | {"timeperiod": 20}                                              | value                            | 19      |
      | SMA(10)                     | moving-average | period=10&type=sma      | SMA      | {"timeperiod": 10}                                              | value                            | 9       |
      | EMA(20)                     | moving-average | period=20&type=ema      | EMA      | {"timeperiod": 20}                                              | value                            | 19      |
      | WMA(15)                     | moving-average | period=15&type=wma      | WMA      | {"timeperiod": 15}                                              | value                            | 14      |
      | the default RSI             | rsi            | (defaults)              | RSI      | {"timeperiod": 14}                                              | value                            | 14      |
      | RSI(7)                      | rsi            | period=7                | RSI      | {"timeperiod": 7}                                               | value                            | 7       |
      | the default MACD            | macd           | (defaults)              | MACD     | {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}         | macd, macdsignal, macdhist       | 33      |
      | MACD(5, 35, 5)              | macd           | fast=5&slow=35&signal=5 | MACD     | {"fastperiod": 5, "slowperiod": 35, "signalperiod": 5}          | macd, macdsignal, macdhist       | 38      |
      | the default Bollinger bands | bollinger      | (defaults)              | BBANDS   | {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0} | upperband, middleband, lowerband | 19      |
      | Bollinger bands(10, 1.5)    | bollinger      | period=10&stddev=1.5    | BBANDS   | {"timeperiod": 10, "nbdevup": 1.5, "nbdevdn": 1.5, "matype": 0} | upperband, middleband, lowerband | 9       |
      | the default ATR             | atr            | (defaults)              | ATR      | {"timeperiod": 14}                                              | value                            | 14      |
      | ATR(5)                      | atr            | period=5                | ATR      | {"timeperiod": 5}                                               | value                            | 5       |
      | VWAP                        | vwap           | (defaults)              | VWAP     | {}                                                              | value                            | 0       |

  Scenario: Only the newest points are returned, computed with the candles before them
    Given Root has imported 300 BTC-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z"
    When someone asks for the "rsi" of BTC-USDT on history with "period=14&limit=50"
    Then the response status is 200
    And the points are at the 50 1m buckets from "2025-03-03T04:10:00Z", oldest first
    And no point is null
    And the points are TA-Lib's RSI with the parameters {"timeperiod": 14} over the stored candles

  Scenario: The symbol is read whatever its case
    Given Root has imported 60 BTC-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z"
    When someone asks for the "rsi" of btc-usdt on history with "period=14"
    Then the response status is 200
    And the response is for BTC-USDT 1m on history
    And the points are TA-Lib's RSI with the parameters {"timeperiod": 14} over the stored candles

  Scenario: A series shorter than the warm-up has only null points
    Given Root has imported 10 BTC-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z"
    When someone asks for the "rsi" of BTC-USDT on history with "period=14"
    Then the response status is 200
    And all 10 points are null

  Scenario Outline: Indicators of <interval> candles are computed over the candles rolled up from the minutes
    Given Root has imported 600 BTC-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z"
    When someone asks for the "<path>" of BTC-USDT on history with "interval=<interval>"
    Then the response status is 200
    And the response is for BTC-USDT <interval> on history
    And the points are at the <count> <interval> buckets from "<first>", oldest first
    And the points are TA-Lib's <function> with the parameters <parameters> over the stored candles

    Examples:
      | interval | path | function | parameters         | count | first                |
      | 5m       | rsi  | RSI      | {"timeperiod": 14} | 120   | 2025-03-03T00:00:00Z |
      | 15m      | atr  | ATR      | {"timeperiod": 14} | 40    | 2025-03-03T00:00:00Z |
      | 1h       | vwap | VWAP     | {}                 | 10    | 2025-03-03T00:00:00Z |

  Scenario Outline: A missing minute is filled flat at the previous close, and <indicator> carries on past it
    Given Root has imported 90 BTC-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z" without the minutes "<missing>"
    When someone asks for the "<path>" of BTC-USDT on history with "(defaults)"
    Then the response status is 200
    And <filled> buckets were filled
    And the points are at the 90 1m buckets from "2025-03-03T00:00:00Z", oldest first
    And the first <warm-up> points are null and none after them
    And the points are TA-Lib's <function> with the parameters <parameters> over the stored candles

    Examples:
      | indicator | missing                                                          | filled | path           | function | parameters                                                      | warm-up |
      | RSI       | 2025-03-03T00:40:00Z                                             | 1      | rsi            | RSI      | {"timeperiod": 14}                                              | 14      |
      | ATR       | 2025-03-03T00:40:00Z                                             | 1      | atr            | ATR      | {"timeperiod": 14}                                              | 14      |
      | SMA       | 2025-03-03T00:05:00Z, 2025-03-03T00:50:00Z, 2025-03-03T00:51:00Z | 3      | moving-average | SMA      | {"timeperiod": 20}                                              | 19      |
      | MACD      | 2025-03-03T00:30:00Z, 2025-03-03T01:00:00Z, 2025-03-03T01:01:00Z | 3      | macd           | MACD     | {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}         | 33      |
      | Bollinger | 2025-03-03T00:10:00Z, 2025-03-03T00:11:00Z, 2025-03-03T00:12:00Z | 3      | bollinger      | BBANDS   | {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0} | 19      |
      | VWAP      | 2025-03-03T00:30:00Z                                             | 1      | vwap           | VWAP     | {}                                                              | 0       |

  Scenario Outline: A point's <indicator> does not depend on how many points are asked for
    Given Root has imported 1100 BTC-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z"
    When someone asks for the newest 10 points of the "<path>" of BTC-USDT on history with "<query>"
    And someone asks for the newest 500 points of the "<path>" of BTC-USDT on history with "<query>"
    Then both responses have status 200
    And the 10 points of the first response are the newest 10 of the second

    Examples:
      | indicator | path                | query      |
      | EMA       | moving-average      | type=ema   |
      | RSI       | rsi                 | (defaults) |
      | MACD      | macd                | (defaults) |
      | ATR       | atr                 | (defaults) |
      | VWAP      | vwap                | (defaults) |
      | OBV       | indicators/OBV      | (defaults) |
      | SAR       | indicators/SAR      | (defaults) |

  Scenario: The candles of one exchange do not mix with another's
    Given Root has imported 120 BTC-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z"
    And Root has imported 120 BTC-USDT minutes of a random walk into archive from "2025-03-03T00:30:00Z"
    When someone asks for the "rsi" of BTC-USDT on history with "(defaults)"
    Then the points are at the 120 1m buckets from "2025-03-03T00:00:00Z", oldest first
    And the points are TA-Lib's RSI with the parameters {"timeperiod": 14} over the stored candles
    When someone asks for the "rsi" of BTC-USDT on archive with "(defaults)"
    Then the response is for BTC-USDT 1m on archive
    And the points are at the 120 1m buckets from "2025-03-03T00:30:00Z", oldest first
    And the points are TA-Lib's RSI with the parameters {"timeperiod": 14} over the stored candles
