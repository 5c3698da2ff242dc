Feature: Choosing the warehouse
  By default an order is served from one warehouse that can fill all of it, the preferred one first;
  when no single warehouse can, it is split across warehouses in order of preference.

  Background:
    Given the warehouse "WH1" holds 3 units of "MUG"

  Scenario: An order no single warehouse can fill is split and shipped from two
    Given the warehouse "WH2" holds 5 units of "MUG"
    When the web shop sends order "1001" for 6 "MUG" at 12.50 EUR
    Then the order is confirmed
    And 3 units of "MUG" are reserved for the order in "WH1"
    And 3 units of "MUG" are reserved for the order in "WH2"
    And the fulfilment status is "allocated"
    When "WH1" ships its part of the order
    Then the fulfilment status is "partially_shipped"
    When "WH2" ships its part of the order
    Then the fulfilment status is "shipped"
    And the order has shipped from "WH1" and "WH2"
    And no units of "MUG" are on hand in "WH1"
    And 2 units of "MUG" are on hand in "WH2"
    And the stock books balance

  Scenario: One warehouse that can fill the whole order is chosen over a split
    Given the warehouse "WH2" holds 10 units of "MUG"
    When the web shop sends order "1002" for 6 "MUG" at 12.50 EUR
    Then no units of "MUG" are reserved for the order in "WH1"
    And 6 units of "MUG" are reserved for the order in "WH2"
