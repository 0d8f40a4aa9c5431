package dev.paird.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paird.api.ControlRequest;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.Suite;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Requests as Jackson reads them, through JsonFields into the shared parser. */
final class JsonFieldsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ControlRequest parse(String json) throws Exception {
    return ControlRequest.parse(JsonFields.of(JSON.readTree(json)), null);
  }

  private static PairdException refused(String json) {
    return catchThrowableOfType(PairdException.class, () -> parse(json));
  }

  @Test
  void parse_newKey_readsSuiteAndSeconds() throws Exception {
    assertThat(
            parse(
                "{\"v\": 1, \"command\": \"new-key\","
                    + " \"args\": {\"suite\": \"hmac\", \"ttl_seconds\": 90}}"))
        .isEqualTo(
            new ControlRequest.NewKey(
                Optional.of(Suite.HMAC), Optional.of(Duration.ofSeconds(90))));
  }

  @Test
  void parse_nullArgs_areNoArgs() throws Exception {
    assertThat(parse("{\"v\": 1, \"command\": \"status\", \"args\": null, \"id\": \"a\"}"))
        .isEqualTo(new ControlRequest.Status());
  }

  @Test
  void parse_argsNotAnObject_isABadRequest() {
    assertThat(refused("{\"v\": 1, \"command\": \"status\", \"args\": []}").code())
        .isEqualTo(ErrorCode.BAD_REQUEST);
  }

  @Test
  void parse_versionNotAnInt_isABadRequest() {
    assertThat(refused("{\"v\": 1.0, \"command\": \"status\"}").code())
        .isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(refused("{\"v\": \"1\", \"command\": \"status\"}").code())
        .isEqualTo(ErrorCode.BAD_REQUEST);
  }

  @Test
  void parse_secondsBeyondAnInt_isAnInvalidArgument() {
    PairdException e =
        refused("{\"v\": 1, \"command\": \"new-key\", \"args\": {\"ttl_seconds\": 10000000000}}");

    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).isEqualTo("new-key: \"ttl_seconds\" must be at most 3600 seconds");
    assertThat(refused("{\"v\": 2147483648, \"command\": \"status\"}").code())
        .isEqualTo(ErrorCode.BAD_REQUEST);
  }

  @Test
  void parse_unknownCommand_echoesItsNameEscaped() {
    PairdException e = refused("{\"v\": 1, \"command\": \"st\\u00e4tus\\n\\u001b[2J\"}");

    assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_COMMAND);
    assertThat(e.getMessage()).contains("'st\\xe4tus\\x0a\\x1b[2J'");
  }

  @Test
  void parse_unknownFieldWithALongName_echoesItsStartOnly() {
    String name = "x".repeat(ControlRequest.ECHO_LIMIT) + "tail";

    PairdException e = refused("{\"v\": 1, \"command\": \"status\", \"" + name + "\": 1}");

    assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
    assertThat(e.getMessage())
        .contains("\"" + "x".repeat(ControlRequest.ECHO_LIMIT) + "...\"")
        .doesNotContain("tail");
  }
}
