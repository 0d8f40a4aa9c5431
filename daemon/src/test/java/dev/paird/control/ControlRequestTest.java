package dev.paird.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import org.junit.jupiter.api.Test;

final class ControlRequestTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static PairdException refused(String json) throws Exception {
    JsonNode root = JSON.readTree(json);
    return catchThrowableOfType(PairdException.class, () -> ControlRequest.parse(root));
  }

  @Test
  void parse_unknownCommand_echoesItsNameEscaped() throws Exception {
    PairdException e = refused("{\"v\": 1, \"command\": \"st\\u00e4tus\\n\\u001b[2J\"}");

    assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_COMMAND);
    assertThat(e.getMessage()).contains("'st\\xe4tus\\x0a\\x1b[2J'");
  }

  @Test
  void parse_unknownFieldWithALongName_echoesItsStartOnly() throws Exception {
    String name = "x".repeat(ControlRequest.ECHO_LIMIT) + "tail";

    PairdException e = refused("{\"v\": 1, \"command\": \"status\", \"" + name + "\": 1}");

    assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(e.getMessage())
        .contains("\"" + "x".repeat(ControlRequest.ECHO_LIMIT) + "...\"")
        .doesNotContain("tail");
  }
}
