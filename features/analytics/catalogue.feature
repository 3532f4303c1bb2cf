Feature: The catalogue of TA-Lib functions, and any of them by name
  GET /api/v1/analytics/indicators lists every function of the installed TA-Lib with its group, display
  name, inputs (columns of the candles), parameters (name, kind, default, description) and outputs.
  GET /api/v1/analytics/indicators/{name}/{symbol} computes any of them over the stored candles, with
  its parameters as query parameters and TA-Lib's defaults for those not given. A function with one
  output has a "value" in each point; one with several has a field per output, named as TA-Lib names it.

  Scenario: Every TA-Lib function is listed with what it takes and what it gives
    When someone reads the indicator catalogue
    Then the response status is 200
    And the response body has exactly the fields "indicators"
    And the catalogue lists every function of the installed TA-Lib, 201 of them
    And each entry has TA-Lib's group, display name, inputs, parameters with their defaults and outputs

  Scenario: An entry names each parameter with its kind, default and description
    When someone reads the indicator catalogue
    Then the entry "STOCH" is in the group "Momentum Indicators", named "Stochastic", takes "high, low, close" and gives "slowk, slowd"
    And the entry "STOCH" has the parameters
      | name         | kind    | default | description                                            |
      | fastk_period | integer | 5       | Time period for building the Fast-K line               |
      | slowk_period | integer | 3       | Smoothing for making the Slow-K line. Usually set to 3 |
      | slowk_matype | ma_type | 0       | Type of Moving Average for Slow-K                      |
      | slowd_period | integer | 3       | Smoothing for making the Slow-D line                   |
      | slowd_matype | ma_type | 0       | Type of Moving Average for Slow-D                      |
    And the entry "BBANDS" is in the group "Overlap Studies", named "Bollinger Bands", takes "close" and gives "upperband, middleband, lowerband"
    And the entry "BBANDS" has the parameters
      | name       | kind    | default | description                         |
      | timeperiod | integer | 20      | Time period                         |
      | nbdevup    | real    | 2.0     | Deviation multiplier for upper band |
      | nbdevdn    | real    | 2.0     | Deviation multiplier for lower band |
      | matype     | ma_type | 0       | Type of Moving Average              |
    And the entry "VWAP" is in the group "Volume Indicators", named "Volume Weighted Average Price", takes "high, low, close, volume" and gives "real"
    And the entry "VWAP" has no parameters

  Scenario Outline: <function> is computed by name and equals TA-Lib's
    Given an admin Root is logged in
    And Root has imported 200 BTC-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z"
    When someone asks for the "indicators/<function>" of BTC-USDT on history with "<query>"
    Then the response status is 200
    And the response is for BTC-USDT 1m on history
    And the indicator is "<function>" with the parameters <parameters> and the outputs "<outputs>"
    And the points are at the 200 1m buckets from "2025-03-03T00:00:00Z", oldest first
    And the first <warm-up> points are null and none after them
    And the points are TA-Lib's <function> with the parameters <parameters> over the stored candles

    Examples:
      | function     | query                                          | parameters                                                                                      | outputs                          | warm-up |
      | STOCH        | fastk_period=7                                 | {"fastk_period": 7, "slowk_period": 3, "slowk_matype": 0, "slowd_period": 3, "slowd_matype": 0} | slowk, slowd                     | 10      |
      | BBANDS       | timeperiod=10&nbdevup=1.5&nbdevdn=2.5&matype=1 | {"timeperiod": 10, "nbdevup": 1.5, "nbdevdn": 2.5, "matype": 1}                                 | upperband, middleband, lowerband | 9       |
      | SMA          | (defaults)                                     | {"timeperiod": 30}                                                                              | value                            | 29      |
      | MFI          | timeperiod=10                                  | {"timeperiod": 10}                                                                              | value                            | 10      |
      | OBV          | (defaults)                                     | {}                                                                                              | value                            | 0       |
      | AROON        | timeperiod=20                                  | {"timeperiod": 20}                                                                              | aroondown, aroonup               | 20      |
      | SUPERTREND   | multiplier=2.5                                 | {"timeperiod": 10, "multiplier": 2.5}                                                           | supertrend, trend                | 10      |
      | MAMA         | fastlimit=0.4&slowlimit=0.04                   | {"fastlimit": 0.4, "slowlimit": 0.04}                                                           | mama, fama                       | 32      |
      | HA           | (defaults)                                     | {}                                                                                              | haopen, hahigh, halow, haclose   | 0       |
      | CDLENGULFING | (defaults)                                     | {}                                                                                              | value                            | 2       |

  Scenario: The name of a function is read whatever its case
    Given an admin Root is logged in
    And Root has imported 60 BTC-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z"
    When someone asks for the "indicators/stoch" of BTC-USDT on history with "(defaults)"
    Then the response status is 200
    And the indicator is "STOCH" with the parameters {"fastk_period": 5, "slowk_period": 3, "slowk_matype": 0, "slowd_period": 3, "slowd_matype": 0} and the outputs "slowk, slowd"
    And the points are TA-Lib's STOCH with the parameters {"fastk_period": 5, "slowk_period": 3, "slowk_matype": 0, "slowd_period": 3, "slowd_matype": 0} over the stored candles

  Scenario: A function asked for by name gives what its named endpoint gives
    Given an admin Root is logged in
    And Root has imported 60 BTC-USDT minutes of a random walk into history from "2025-03-03T00:00:00Z"
    When someone asks for the "indicators/RSI" of BTC-USDT on history with "timeperiod=9&limit=40"
    And someone asks for the "rsi" of BTC-USDT on history with "period=9&limit=40"
    Then both responses have status 200
    And the two responses have the same points
