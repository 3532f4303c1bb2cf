Feature: Profile
  A member reads and changes their own profile with their access token. A profile can be
  looked up by id only by its owner or an admin; anyone else is told it does not exist.
  Every response carries a request id, the client's own when it sends a safe one.

  Background:
    Given Ada has an account and is logged in

  Scenario: Ada reads her own profile
    When Ada reads her profile
    Then the response status is 200
    And the response body has exactly the fields "id, email, display_name, role, created_at, updated_at"
    And the response field "id" is Ada's id
    And the response field "email" is "ada@example.com"
    And the response field "display_name" is "Ada"
    And the response field "role" is "user"

  Scenario Outline: The profile needs a valid access token
    When Ada's profile is requested with <credentials>
    Then the response status is 401

    Examples:
      | credentials                                |
      | no access token                            |
      | a garbage access token                     |
      | an expired access token                    |
      | an access token signed with another key    |
      | an access token for another audience       |
      | an access token from another issuer        |
      | an unsigned access token                   |
      | a tampered access token                    |
      | her refresh token instead of an access token |

  Scenario: Ada changes her display name
    When Ada changes her display name to "Countess of Lovelace"
    Then the response status is 200
    And the response field "display_name" is "Countess of Lovelace"
    And Ada's profile shows the display name "Countess of Lovelace"

  Scenario: Ada changes her email address
    When Ada changes her email to "ada@lovelace.org"
    Then the response status is 200
    And the response field "email" is "ada@lovelace.org"
    And Ada can log in with email "ada@lovelace.org"
    And nobody can log in with email "ada@example.com" and Ada's password
    And the email "ada@example.com" is free to register

  Scenario Outline: An email address held by someone else cannot be taken
    Given Grace has an account with email "grace@example.com"
    When Ada changes her email to "<email>"
    Then the response status is 409
    And Ada's profile shows the email "ada@example.com"

    Examples:
      | email             |
      | grace@example.com |
      | GRACE@Example.com |

  Scenario Outline: An invalid profile change is refused and changes nothing
    When Ada changes her <field> to "<value>"
    Then the response status is 422
    And the problem names only the field "<named field>"
    And Ada's profile shows the email "ada@example.com"
    And Ada's profile shows the display name "Ada"

    Examples:
      | field        | value        | named field  |
      | email        | not-an-email | email        |
      | email        | ada@         | email        |
      | display name |              | display_name |

  Scenario: Ada looks herself up by id
    When Ada looks up Ada by id
    Then the response status is 200
    And the response field "id" is Ada's id

  Scenario: Another member cannot see Ada's profile, as if she did not exist
    Given Grace has an account and is logged in
    When Grace looks up Ada by id
    And Grace looks up an unknown user id
    Then both responses have status 404
    And the two responses have the same title and detail

  Scenario: An admin can see Ada's profile
    Given an admin Root is logged in
    When Root looks up Ada by id
    Then the response status is 200
    And the response field "id" is Ada's id
    And the response field "email" is "ada@example.com"

  Scenario: An admin looking up an unknown id is told it does not exist
    Given an admin Root is logged in
    When Root looks up an unknown user id
    Then the response status is 404

  Scenario Outline: A malformed user id is not found
    When Ada looks up the user id "<id>"
    Then the response status is 404

    Examples:
      | id                                   |
      | not-a-uuid                           |
      | 12345                                |
      | 0f0f0f0f-0f0f-0f0f-0f0f-0f0f0f0f0f0  |

  Scenario: Looking a user up needs an access token
    When someone looks up Ada by id without an access token
    Then the response status is 401

  Scenario: A request id sent by the client is echoed back
    When Ada reads her profile sending the request id "trace-4f2a.9:b_c"
    Then the response header "X-Request-ID" is "trace-4f2a.9:b_c"

  Scenario: The server gives each request its own id when the client sends none
    When Ada's profile is requested with no access token
    And Ada's profile is requested with no access token
    Then the last two responses carry different request ids

  Scenario: An unsafe request id is replaced by the server's own
    When Ada reads her profile sending the request id "no spaces; or semicolons"
    Then the response header "X-Request-ID" is a request id other than "no spaces; or semicolons"
