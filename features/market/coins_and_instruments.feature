Feature: Coins and instruments
  The platform follows ten reference coins, each quoted in USDT, from the moment it starts.
  Anyone can read the coins and instruments, with each exchange's own name for an instrument.
  An admin can list more instruments for the feeds to follow; a refused listing changes nothing.

  Scenario: The reference coins are known from the start
    When someone reads the coins
    Then the response status is 200
    And the coins are, in order
      | BTC  | Bitcoin   |
      | ETH  | Ethereum  |
      | BNB  | BNB       |
      | SOL  | Solana    |
      | XRP  | XRP       |
      | ADA  | Cardano   |
      | DOGE | Dogecoin  |
      | AVAX | Avalanche |
      | DOT  | Polkadot  |
      | LINK | Chainlink |

  Scenario: Every reference coin is followed against USDT, under each exchange's own name
    When someone reads the instruments
    Then the response status is 200
    And the instruments are, in order, the reference instruments
      | symbol    | base | quote | base_name |
      | BTC-USDT  | BTC  | USDT  | Bitcoin   |
      | ETH-USDT  | ETH  | USDT  | Ethereum  |
      | BNB-USDT  | BNB  | USDT  | BNB       |
      | SOL-USDT  | SOL  | USDT  | Solana    |
      | XRP-USDT  | XRP  | USDT  | XRP       |
      | ADA-USDT  | ADA  | USDT  | Cardano   |
      | DOGE-USDT | DOGE | USDT  | Dogecoin  |
      | AVAX-USDT | AVAX | USDT  | Avalanche |
      | DOT-USDT  | DOT  | USDT  | Polkadot  |
      | LINK-USDT | LINK | USDT  | Chainlink |
    And the instruments have these names on the exchanges
      | symbol    | binance  | coinbase  | simulated |
      | BTC-USDT  | BTCUSDT  | BTC-USDT  | BTC-USDT  |
      | DOGE-USDT | DOGEUSDT | DOGE-USDT | DOGE-USDT |
      | LINK-USDT | LINKUSDT | LINK-USDT | LINK-USDT |

  Scenario: An admin lists a new instrument
    Given an admin Root is logged in
    When Root lists the instrument "PEPE-USDT" named "Pepe"
    Then the response status is 201
    And the response body has exactly the fields "symbol, base, quote, base_name, reference, exchange_symbols"
    And the response field "symbol" is "PEPE-USDT"
    And the response field "base" is "PEPE"
    And the response field "quote" is "USDT"
    And the response field "base_name" is "Pepe"
    And the response field "reference" is false
    And the instrument in the response is named "PEPEUSDT" on binance, "PEPE-USDT" on coinbase and "PEPE-USDT" on simulated
    And the platform follows 11 instruments
    And the instrument "PEPE-USDT" is listed with base name "Pepe" and is not a reference instrument
    And the coin "PEPE" is known as "Pepe"

  Scenario: A newly listed instrument has neither a price nor candles yet
    Given an admin Root is logged in
    And Root has listed the instrument "PEPE-USDT" named "Pepe"
    When someone asks for the prices of "PEPE-USDT"
    Then the response status is 200
    And the price of "PEPE-USDT" is not known yet
    When someone reads the PEPE-USDT 1m candles
    Then the response status is 200
    And there are no candles

  Scenario: A listed symbol is read whatever its case and the name is trimmed
    Given an admin Root is logged in
    When Root lists the instrument "pepe-usdt" named "  Pepe  "
    Then the response status is 201
    And the response field "symbol" is "PEPE-USDT"
    And the response field "base_name" is "Pepe"
    And the instrument "PEPE-USDT" is listed with base name "Pepe" and is not a reference instrument

  Scenario: An instrument of a known coin in another quote currency can be listed
    Given an admin Root is logged in
    When Root lists the instrument "BTC-EUR" named "Bitcoin"
    Then the response status is 201
    And the response field "base" is "BTC"
    And the response field "quote" is "EUR"
    And the instrument "BTC-EUR" is listed with base name "Bitcoin" and is not a reference instrument
    And the coin "BTC" is known as "Bitcoin"
    And the platform knows 10 coins

  Scenario: A name of sixty characters is long enough
    Given an admin Root is logged in
    When Root lists the instrument "PEPE-USDT" with a name of 60 characters "x"
    Then the response status is 201
    And the platform follows 11 instruments

  Scenario: A member who is not an admin cannot list an instrument
    Given Ada has an account and is logged in
    When Ada lists the instrument "PEPE-USDT" named "Pepe"
    Then the response status is 403
    And the response is a problem
    And the platform follows 10 instruments

  Scenario: Listing an instrument needs an access token
    When someone lists the instrument "PEPE-USDT" named "Pepe" without an access token
    Then the response status is 401
    And the response is a problem
    And the platform follows 10 instruments

  Scenario Outline: An instrument already followed cannot be listed again
    Given an admin Root is logged in
    And Root has listed the instrument "PEPE-USDT" named "Pepe"
    When Root lists the instrument "<symbol>" named "Another name"
    Then the response status is 409
    And the response is a problem titled "Instrument already listed"
    And the platform follows 11 instruments
    And the instrument "PEPE-USDT" is listed with base name "Pepe" and is not a reference instrument
    And the coin "<base>" is known as "<name>"

    Examples:
      | symbol    | base | name    |
      | pepe-usdt | PEPE | Pepe    |
      | BTC-USDT  | BTC  | Bitcoin |

  Scenario: A malformed symbol is refused, naming the field, and lists nothing
    Given an admin Root is logged in
    When Root tries to list instruments named "Pepe" with each of these symbols
      | (empty)            |
      | PEPE               |
      | PEPE/USDT          |
      | PEPE_USDT          |
      | PEPE USDT          |
      | PEPE-USDT-X        |
      | -USDT              |
      | PEPE-              |
      | P-USDT             |
      | PEPE-PEPE          |
      | ABCDEFGHIJKLM-USDT |
      | PÉPÉ-USDT          |
    Then each attempt is refused with status 422, naming only the field "symbol"
    And the platform follows 10 instruments

  Scenario: A blank or overlong name is refused, naming the field, and lists nothing
    Given an admin Root is logged in
    When Root tries to list "PEPE-USDT" with each of these names
      | length | character |
      | 0      | x         |
      | 3      | (space)   |
      | 61     | x         |
      | 201    | x         |
    Then each attempt is refused with status 422, naming only the field "name"
    And the platform follows 10 instruments

  Scenario: A listing request that does not fit the schema is refused, naming the field
    Given an admin Root is logged in
    When Root tries to list instruments with each of these requests
      | request                                                | field    |
      | {"symbol": "PEPE-USDT"}                                | name     |
      | {"name": "Pepe"}                                       | symbol   |
      | {"symbol": 42, "name": "Pepe"}                         | symbol   |
      | {"symbol": "PEPE-USDT", "name": "Pepe", "decimals": 8} | decimals |
    Then each attempt is refused with status 422, naming only its field
    And the platform follows 10 instruments
