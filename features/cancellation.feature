Feature: Cancelling orders
  Cancelling an order that has not shipped gives its stock back and the customer's money with it.

  Background:
    Given the warehouse "WH1" holds 10 units of "MUG"
    And the web shop has sent order "1001" for 2 "MUG" at 12.50 EUR

  Scenario: Cancelling a paid order releases its stock and refunds the customer
    Given the customer has paid 25.00 EUR
    When the order is cancelled because "customer changed their mind"
    Then the order is cancelled
    And no units of "MUG" are reserved for the order
    And 10 units of "MUG" are available in "WH1"
    And the payment status is "refunded"
    And 25.00 EUR has been refunded
    And the timeline says "refunded through manual: order cancelled: customer changed their mind"
    And the stock books balance

  Scenario: Cancelling an order whose card was only authorized voids the authorization
    Given the customer's card is authorized for 25.00 EUR
    When the order is cancelled because "out of delivery area"
    Then the order is cancelled
    And the payment status is "voided"
    And nothing has been captured
    And 10 units of "MUG" are available in "WH1"
