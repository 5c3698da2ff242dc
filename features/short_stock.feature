Feature: Orders for more than is in stock
  What happens to an order the warehouses cannot fill is a policy of the shop: backorder the rest (the
  default), put the order on hold for a person, or refuse it.

  Background:
    Given the warehouse "WH1" holds 3 units of "MUG"

  Scenario: Short stock is backordered and reserved once it arrives
    When the web shop sends order "1002" for 5 "MUG" at 12.50 EUR
    Then the order is confirmed
    And 3 units of "MUG" are reserved for the order
    And 2 units of "MUG" are backordered
    And no units of "MUG" are available in "WH1"
    And the fulfilment status is "unfulfilled"
    And the timeline says "backordered: 2 x MUG"
    When the warehouse "WH1" receives 4 units of "MUG"
    And the backorders of the order are allocated
    Then 5 units of "MUG" are reserved for the order
    And no units of "MUG" are backordered
    And 2 units of "MUG" are available in "WH1"
    And the fulfilment status is "allocated"
    And the stock books balance

  Scenario: Short stock puts the order on hold for a person
    Given short stock is put on hold
    When the web shop sends order "1003" for 5 "MUG" at 12.50 EUR
    Then the order is on hold
    And the order has a "stock" hold placed by "oms"
    And the timeline says "held by oms: short: 2 x MUG"
    And 3 units of "MUG" are reserved for the order

  Scenario: A held order is released once the missing stock has arrived
    Given short stock is put on hold
    And the web shop has sent order "1003" for 5 "MUG" at 12.50 EUR
    When the warehouse "WH1" receives 2 units of "MUG"
    And the backorders of the order are allocated
    And "stock_controller" releases the "stock" hold
    Then the order is confirmed
    And the order has no holds
    And 5 units of "MUG" are reserved for the order
    And the fulfilment status is "allocated"
    And the timeline says "stock hold released by stock_controller"

  Scenario: Short stock is refused and nothing is reserved
    Given short stock is refused
    When the web shop sends order "1004" for 5 "MUG" at 12.50 EUR
    Then the order is refused because only 3 of the 5 "MUG" are in stock
    And the order is pending
    And no units of "MUG" are reserved for the order
    And 3 units of "MUG" are available in "WH1"
    And the stock books balance
