Feature: Taking and giving back money
  Card payments are authorized first and captured when the goods leave, in one go or in parts.
  Refunds never exceed what was captured, and a refused payment operation writes nothing.

  Background:
    Given the warehouse "WH1" holds 10 units of "MUG"
    And the web shop has sent order "1001" for 4 "MUG" at 25.00 EUR

  Scenario: An authorization is captured in two parts
    When the customer's card is authorized for 100.00 EUR
    Then the payment status is "authorized"
    And nothing has been captured
    When 60.00 EUR of the card payment is captured
    Then the payment status is "partially_paid"
    And 60.00 EUR has been captured
    When the rest of the card payment is captured
    Then the payment status is "paid"
    And 100.00 EUR has been captured

  Scenario: Capturing more than was authorized is refused and nothing is written
    Given the customer's card is authorized for 100.00 EUR
    When 120.00 EUR of the card payment is captured
    Then the capture is refused because it is more than was authorized
    And nothing has been captured
    And the payment status is "authorized"

  Scenario: The rest of a partly captured authorization still covers the order
    Given the customer's card is authorized for 100.00 EUR
    And 60.00 EUR of the card payment has been captured
    When the customer's card is authorized for 40.00 EUR
    Then the authorization is refused because the order is already covered
    And 100.00 EUR is authorized on the order
    When the rest of the card payment is captured
    Then 100.00 EUR has been captured
    And the payment status is "paid"

  Scenario: A payment is refunded in parts
    Given the customer has paid 100.00 EUR
    When 30.00 EUR is refunded because "damaged in transit"
    Then the payment status is "partially_refunded"
    And 30.00 EUR has been refunded
    And the timeline says "30.00 EUR refunded through manual: damaged in transit"
    When 70.00 EUR is refunded because "order lost"
    Then the payment status is "refunded"
    And 100.00 EUR has been refunded

  Scenario: Refunding more than was captured is refused
    Given the customer has paid 60.00 EUR
    When 80.00 EUR is refunded because "goodwill"
    Then the refund is refused because it is more than was captured
    And the payment status is "partially_paid"
    And 0.00 EUR has been refunded

  Scenario: An awaited bank transfer is not paid a second time by card
    Given the customer has chosen to pay 100.00 EUR by bank transfer
    When the customer's card is authorized for 100.00 EUR
    Then the authorization is refused because the bank transfer is awaited
    And nothing has been captured
    When the bank transfer is called off
    And the customer's card is authorized for 100.00 EUR
    Then the payment status is "authorized"
