Feature: Business rules from plugins
  A company adds its own rules as plugins. A rule may hold an order for a person or forbid a change of
  status; the order's timeline always says which rule decided and why.

  Background:
    Given the rule "review_rules" holds orders above 500.00 EUR for review
    And the rule "finance_rules" forbids cancelling paid orders
    And the warehouse "WH1" holds 50 units of "CHAIR"

  Scenario: A large order waits for review, and releasing it confirms it
    When the web shop sends order "1001" for 4 "CHAIR" at 150.00 EUR
    Then the order is on hold
    And the order has a "review" hold placed by "review_rules"
    And the timeline says "held by review_rules: total 600.00 EUR is above 500.00 EUR"
    And 4 units of "CHAIR" are reserved for the order
    When "supervisor" releases the "review" hold
    Then the order is confirmed
    And the order has no holds
    And the timeline says "review hold released by supervisor"

  Scenario: An order within the limit is confirmed without review
    When the web shop sends order "1002" for 2 "CHAIR" at 150.00 EUR
    Then the order is confirmed
    And the order has no holds

  Scenario: A rule stops the cancellation of a paid order
    Given the web shop has sent order "1003" for 2 "CHAIR" at 150.00 EUR
    And the customer has paid 300.00 EUR
    When the order is cancelled because "customer changed their mind"
    Then the cancellation is refused by "finance_rules" because "paid orders are closed by finance, not cancelled"
    And the order is confirmed
    And the payment status is "paid"
    And 2 units of "CHAIR" are reserved for the order
    And the timeline says "status confirmed -> cancelled vetoed by finance_rules"
