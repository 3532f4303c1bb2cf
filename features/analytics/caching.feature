Feature: Cached indicator results
  An indicator's points are computed once and then served from a cache, per instrument, interval,
  exchange, function, parameters and limit. A new final candle of a series (here: imported, which
  publishes the candles to market.candles.v1) retires every cached result of that series and of the
  higher intervals rolled up from it, so the next request computes afresh and sees the new candle.
  Results of other series stay cached. /metrics counts the cache's hits and misses.

  Background:
    Given an admin Root is logged in
    And Root has imported 120 BTC-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z"

  Scenario: A repeated request is answered from the cache
    When someone asks for the "rsi" of BTC-USDT on history with "period=14"
    Then the answer was computed afresh
    When someone asks for it again
    Then the answer came from the cache
    And the two responses have identical bodies

  Scenario: Each function, parameter, limit and interval is cached apart
    Given someone has asked for the "rsi" of BTC-USDT on history with "period=14"
    Then each of these analytics of BTC-USDT on history is computed afresh, then cached
      | request          | query                 |
      | rsi              | period=7              |
      | rsi              | period=14&limit=20    |
      | rsi              | period=14&interval=5m |
      | moving-average   | period=14&type=ema    |
      | moving-average   | period=14&type=wma    |
      | macd             | (defaults)            |
      | indicators/STOCH | fastk_period=7        |
      | indicators/STOCH | fastk_period=9        |
    And the "rsi" of BTC-USDT on history with "period=14" still comes from the cache, unchanged

  Scenario: A new candle retires the cached results of its series
    Given someone has asked for the "rsi" of BTC-USDT on history with "period=14"
    When Root imports the next 1 BTC-USDT minutes of the random walk into history
    Then the "rsi" of BTC-USDT on history with "period=14" is soon computed afresh
    And the newest point is at "2025-03-03T02:00:00Z"
    And the points are TA-Lib's RSI with the parameters {"timeperiod": 14} over the stored candles
    When someone asks for it again
    Then the answer came from the cache

  Scenario: A corrected past candle retires the cached results of its series
    Given someone has asked for the "macd" of BTC-USDT on history with "(defaults)"
    When Root imports the BTC-USDT minute "2025-03-03T01:30:00Z" into history again, its prices 5% higher
    Then the "macd" of BTC-USDT on history with "(defaults)" is soon computed afresh
    And the newest point is at "2025-03-03T01:59:00Z"
    And the points are TA-Lib's MACD with the parameters {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9} over the stored candles

  Scenario: New minutes retire the cached results of the intervals rolled up from them
    Given someone has asked for the "vwap" of BTC-USDT on history with "interval=5m"
    And someone has asked for the "atr" of BTC-USDT on history with "interval=1h&period=1"
    When Root imports the next 5 BTC-USDT minutes of the random walk into history
    Then the "vwap" of BTC-USDT on history with "interval=5m" is soon computed afresh
    And the newest point is at "2025-03-03T02:00:00Z"
    And the points are TA-Lib's VWAP with the parameters {} over the stored candles
    And the "atr" of BTC-USDT on history with "interval=1h&period=1" is soon computed afresh
    And the newest point is at "2025-03-03T02:00:00Z"
    And the points are TA-Lib's ATR with the parameters {"timeperiod": 1} over the stored candles

  Scenario: New candles of other series leave a cached result in place
    Given Root has imported 120 ETH-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z"
    And someone has asked for the "rsi" of BTC-USDT on history with "(defaults)"
    And someone has asked for the "rsi" of ETH-USDT on history with "(defaults)"
    When Root imports 120 BTC-USDT minutes of a random walk into archive from "2025-03-03T00:00:00Z"
    And Root imports the next 1 ETH-USDT minutes of the random walk into history
    Then the "rsi" of ETH-USDT on history with "(defaults)" is soon computed afresh
    And the "rsi" of BTC-USDT on history with "(defaults)" still comes from the cache, unchanged
