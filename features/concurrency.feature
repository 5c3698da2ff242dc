Feature: Many order desks at once
  Several OMS processes confirm orders on the same database at the same moment. However they interleave,
  no unit is ever promised twice, and the stock books still balance.

  Scenario Outline: Confirming orders for a hot product from six desks at once never oversells
    Given short stock is <policy>
    And the warehouse "WH1" holds 25 units of "HOT"
    And the web shop has sent 30 orders for 2 "HOT" each
    When 6 order desks confirm them all at the same time
    Then <reserved> units of "HOT" are reserved in "WH1"
    And 25 units of "HOT" are on hand in "WH1"
    And <confirmed> of those orders are confirmed
    And <held> of those orders are on hold
    And <refused> of those orders were refused for lack of stock
    And the reservations of those orders add up to the reserved stock
    And the stock books balance

    Examples:
      | policy      | reserved | confirmed | held | refused |
      | backordered | 25       | 30        | 0    | 0       |
      | put on hold | 25       | 12        | 18   | 0       |
      | refused     | 24       | 12        | 0    | 18      |
