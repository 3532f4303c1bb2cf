Feature: Live prices over a WebSocket
  A client connects to /ws/prices and subscribes to the instruments it wants. It gets the current
  price of each at once, then a price message per trade-driven change, only for the instruments it
  follows. A bad request is answered with an error and the connection stays usable. An idle
  connection gets heartbeats; a client too slow for its messages loses the oldest and is told how many.

  Scenario: A subscriber gets the current price at once, then each change
    Given prices are flowing for "BTC-USDT"
    And Ada is connected to the live prices
    When Ada subscribes to "BTC-USDT"
    Then Ada is told she is subscribed to "BTC-USDT"
    And Ada receives 4 prices, all of "BTC-USDT"
    And every price Ada received is a positive decimal string from "simulated", traded within the last minute
    And after the first, every price Ada received differs from the one before it

  Scenario: A subscriber gets only the instruments subscribed to
    Given prices are flowing for "ETH-USDT"
    And Ada is connected to the live prices
    When Ada subscribes to "ETH-USDT"
    Then Ada is told she is subscribed to "ETH-USDT"
    And Ada receives 5 prices, all of "ETH-USDT"

  Scenario: Symbols are read whatever their case
    Given Ada is connected to the live prices
    When Ada subscribes to "btc-usdt"
    Then Ada is told she is subscribed to "BTC-USDT"

  Scenario: Subscribing again adds to the instruments followed
    Given prices are flowing for "BTC-USDT, ETH-USDT"
    And Ada is connected to the live prices
    And Ada has subscribed to "BTC-USDT"
    When Ada subscribes to "ETH-USDT"
    Then Ada is told she is subscribed to "BTC-USDT, ETH-USDT"
    And Ada receives prices of each of "BTC-USDT, ETH-USDT"

  Scenario: Unsubscribing stops an instrument's prices and keeps the others
    Given prices are flowing for "BTC-USDT, ETH-USDT"
    And Ada is connected to the live prices
    And Ada has subscribed to "BTC-USDT, ETH-USDT"
    When Ada unsubscribes from "BTC-USDT"
    Then Ada is told she is unsubscribed from "BTC-USDT"
    And Ada then receives 3 prices of "ETH-USDT" and none of "BTC-USDT"

  Scenario: Subscribers are served independently
    Given prices are flowing for "BTC-USDT, ETH-USDT"
    And Ada is connected to the live prices
    And Grace is connected to the live prices
    When Ada subscribes to "BTC-USDT"
    And Grace subscribes to "ETH-USDT"
    Then Ada is told she is subscribed to "BTC-USDT"
    And Grace is told she is subscribed to "ETH-USDT"
    And Ada receives 3 prices, all of "BTC-USDT"
    And Grace receives 3 prices, all of "ETH-USDT"

  Scenario: A bad request is answered with an error, changes nothing and leaves the connection usable
    Given Ada is connected to the live prices
    When Ada sends each of these messages
      | message                                                  | fault                       |
      | not json                                                 | not JSON                    |
      | ["subscribe", "BTC-USDT"]                                | not an object               |
      | {"op": "watch", "symbols": ["BTC-USDT"]}                 | an unknown operation        |
      | {"symbols": ["BTC-USDT"]}                                | no operation                |
      | {"op": "subscribe"}                                      | no symbols                  |
      | {"op": "subscribe", "symbols": []}                       | an empty list of symbols    |
      | {"op": "subscribe", "symbols": "BTC-USDT"}               | symbols not a list          |
      | {"op": "subscribe", "symbols": ["FOO-USDT"]}             | an instrument not followed  |
      | {"op": "subscribe", "symbols": ["BTC-USDT", "FOO-USDT"]} | one instrument not followed |
      | {"op": "subscribe", "symbols": ["BTC/USDT"]}             | a malformed symbol          |
      | {"op": "subscribe", "symbols": ["BTC-USDT"], "x": 1}     | an unknown field            |
    Then Ada receives an error for each of them
    When Ada subscribes to "ETH-USDT"
    Then Ada is told she is subscribed to "ETH-USDT"
    And Ada receives 2 prices, all of "ETH-USDT"

  Scenario: An idle connection gets heartbeats
    Given the live prices send a heartbeat after 1 second of silence
    And Ada is connected to the live prices
    Then Ada receives a heartbeat within 5 seconds

  Scenario: A client too slow for its messages is told how many it lost
    Given each live client may have at most 3 messages waiting
    And prices are flowing for "BTC-USDT, ETH-USDT, BNB-USDT, SOL-USDT, XRP-USDT, ADA-USDT, DOGE-USDT, AVAX-USDT, DOT-USDT, LINK-USDT"
    And Ada is connected to the live prices
    When Ada subscribes to "BTC-USDT, ETH-USDT, BNB-USDT, SOL-USDT, XRP-USDT, ADA-USDT, DOGE-USDT, AVAX-USDT, DOT-USDT, LINK-USDT"
    Then Ada is told she is subscribed to "ADA-USDT, AVAX-USDT, BNB-USDT, BTC-USDT, DOGE-USDT, DOT-USDT, ETH-USDT, LINK-USDT, SOL-USDT, XRP-USDT"
    And Ada is told that at least 7 messages were dropped
    And Ada receives 3 prices
