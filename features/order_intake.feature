Feature: Taking orders from the web shop
  The web shop sends every order it takes. The OMS keeps each order once, however often it is sent,
  and reserves its stock straight away so that nobody else can sell it.

  Background:
    Given the warehouse "WH1" holds 5 units of "MUG"

  Scenario: An order with enough stock is confirmed and its stock reserved
    When the web shop sends order "1001" for 2 "MUG" at 12.50 EUR
    Then the order is confirmed
    And the order total is 25.00 EUR
    And 2 units of "MUG" are reserved for the order in "WH1"
    And 3 units of "MUG" are available in "WH1"
    And the fulfilment status is "allocated"
    And the stock books balance

  Scenario: The same order sent three times is taken once
    When the web shop sends order "1001" for 2 "MUG" at 12.50 EUR
    And the web shop sends order "1001" for 2 "MUG" at 12.50 EUR
    And the web shop sends order "1001" for 2 "MUG" at 12.50 EUR
    Then the web shop has 1 order
    And the order is confirmed
    And 2 units of "MUG" are reserved for the order
    And 3 units of "MUG" are available in "WH1"
    And the timeline mentions "placed" 1 time

  Scenario: A resend with different content is refused and the first order stays as it was
    Given the web shop has sent order "1001" for 2 "MUG" at 12.50 EUR
    When the web shop sends order "1001" again, now for 3 "MUG" at 12.50 EUR to be delivered in "Paris"
    Then the resend is refused as a duplicate that differs in "lines" and "shipping_address"
    And the web shop has 1 order
    And order "1001" still has 2 "MUG" to be delivered in "London"
    And 3 units of "MUG" are available in "WH1"

  Scenario: An order for a product the OMS does not know is refused
    When the web shop sends order "1002" for 1 "TEAPOT" at 30.00 EUR
    Then the order is refused because product "TEAPOT" is unknown
    And the web shop has 0 orders
