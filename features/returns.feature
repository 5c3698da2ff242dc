Feature: Returns
  Goods that come back are put back on the shelf, or scrapped when they cannot be sold again;
  either way the customer gets back what those units were paid.

  Background:
    Given the warehouse "WH1" holds 10 units of "MUG"
    And the web shop has sent order "1001" for 3 "MUG" at 20.00 EUR
    And the order has been paid and shipped

  Scenario: Returned goods go back on the shelf and the customer is refunded
    When the customer sends back 2 "MUG" because "too small"
    And the return is received and restocked
    Then 9 units of "MUG" are on hand in "WH1"
    And 9 units of "MUG" are available in "WH1"
    And 40.00 EUR has been refunded
    And the payment status is "partially_refunded"
    And the fulfilment status is "partially_returned"
    And the stock books balance

  Scenario: Damaged goods are scrapped, not restocked, and still refunded
    When the customer sends back 3 "MUG" because "arrived broken"
    And the return is received and scrapped
    Then 7 units of "MUG" are on hand in "WH1"
    And 60.00 EUR has been refunded
    And the payment status is "refunded"
    And the fulfilment status is "returned"
    And the stock books balance
