Feature: Latest prices
  Anyone can ask for the latest price of followed instruments: the price as a decimal string,
  the time of the trade and the exchange it came from. The embedded platform trades on a simulated
  exchange, so prices start flowing within moments of start-up and keep moving.
  An instrument the platform does not follow is not found; a malformed request is refused.

  Scenario: The latest price of each instrument asked for, in the order asked
    Given prices are flowing for "BTC-USDT, ETH-USDT, DOGE-USDT"
    When someone asks for the prices of "ETH-USDT,BTC-USDT,DOGE-USDT"
    Then the response status is 200
    And the response body has exactly the fields "prices"
    And the prices are for "ETH-USDT, BTC-USDT, DOGE-USDT" in that order
    And every price is a positive decimal string from "simulated", traded within the last minute

  Scenario: Symbols are read whatever their case and spacing
    Given prices are flowing for "BTC-USDT, ETH-USDT"
    When someone asks for the prices of "btc-usdt, Eth-Usdt"
    Then the response status is 200
    And the prices are for "BTC-USDT, ETH-USDT" in that order
    And every price is a positive decimal string from "simulated", traded within the last minute

  Scenario: Prices follow the trades
    Given prices are flowing for "BTC-USDT"
    When someone notes the latest price of "BTC-USDT"
    Then a later price of "BTC-USDT" is reported within 10 seconds

  Scenario: An instrument the platform does not follow is not found, naming it
    When someone tries to get prices with each of these symbols
      | symbols           | unknown  |
      | FOO-USDT          | FOO-USDT |
      | BTC-USDT,FOO-USDT | FOO-USDT |
      | BTC-EUR           | BTC-EUR  |
      | ETH-BTC,ETH-USDT  | ETH-BTC  |
    Then each attempt is refused with status 404, as a problem titled "Unknown instrument" naming its unknown symbol

  Scenario: A malformed symbol in the request is refused, naming the field
    When someone tries to get prices with each of these symbols
      | symbols           |
      | BTC               |
      | BTC/USDT          |
      | BTC-USDT;ETH-USDT |
      | BTC-USDT,ETH      |
      | BTC-BTC           |
      | (empty)           |
      | ,                 |
    Then each attempt is refused with status 422, naming only the field "symbols"

  Scenario: A request without the symbols parameter is refused, naming the field
    When someone asks for prices without naming any symbols
    Then the response status is 422
    And the problem names only the field "symbols"

  Scenario: At most 100 symbols can be asked for at once
    When someone asks for the prices of "BTC-USDT" repeated 101 times
    Then the response status is 422
    And the problem names only the field "symbols"
