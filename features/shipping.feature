Feature: Shipping orders
  A warehouse ships what is ready; the rest follows later. Shipped units leave the stock, and an order
  never ships more than was ordered.

  Background:
    Given the warehouse "WH1" holds 10 units of "MUG"
    And the warehouse "WH1" holds 10 units of "PLATE"
    And the web shop has sent order "1001" in EUR:
      | sku   | quantity | unit price |
      | MUG   | 3        | 12.50      |
      | PLATE | 2        | 8.00       |

  Scenario: An order ships in two parts
    When the warehouse ships from the order:
      | sku   | quantity |
      | MUG   | 1        |
      | PLATE | 2        |
    Then the fulfilment status is "partially_shipped"
    And 9 units of "MUG" are on hand in "WH1"
    And 8 units of "PLATE" are on hand in "WH1"
    And 2 units of "MUG" are reserved for the order
    When the warehouse ships the rest of the order
    Then the fulfilment status is "shipped"
    And 7 units of "MUG" are on hand in "WH1"
    And no units of "MUG" are reserved in "WH1"
    And the order has shipped from "WH1" and "WH1"
    And the stock books balance

  Scenario: A paid order is completed when its last part ships
    Given the customer has paid 53.50 EUR
    When the warehouse ships 3 "MUG" of the order
    Then the order is confirmed
    When the warehouse ships the rest of the order
    Then the order is completed
    And the fulfilment status is "shipped"
    And the payment status is "paid"

  Scenario: Shipping more than was ordered is refused
    When the warehouse ships 4 "MUG" of the order
    Then the shipment is refused because line "MUG" has only 3 left to ship
    And nothing has shipped
    And 10 units of "MUG" are on hand in "WH1"
    And 3 units of "MUG" are reserved for the order
