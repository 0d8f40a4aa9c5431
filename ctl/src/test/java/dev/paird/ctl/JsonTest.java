package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

final class JsonTest {

  private static JsonNode parse(String text) throws JsonProcessingException {
    return Json.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code text} read by Jackson's own parser, which reads a key as any string. */
  private static JsonNode standard(String text) throws JsonProcessingException {
    return new ObjectMapper().readTree(text);
  }

  @Test
  void parse_keyField_isASecretThatNoStringShows_andIsPrintedOnceAsItWas() throws Exception {
    JsonNode answer = parse("{\"id\":\"7\",\"key\":\"42-3141-5926-0\",\"n\":[1,{\"x\":\"y\"}]}");

    SecretValue key = SecretValue.in(answer.path("key"));
    assertThat(key).isNotNull();
    assertThat(answer.toString()).doesNotContain("1234").contains(SecretValue.REDACTED);
    assertThat(key.toString()).doesNotContain("1234");
    Output output = Json.output(answer);
    assertThat(output.toString()).doesNotContain("1234");
    assertThat(FormatTest.printed(output))
        .isEqualTo("{\"id\":\"7\",\"key\":\"42-3141-5926-0\",\"n\":[1,{\"x\":\"y\"}]}");
    assertThat(key.isDestroyed()).as("wiped once printed").isTrue();
  }

  @Test
  void parse_keyThatIsNotPrintableAscii_isRefused() {
    for (String key : List.of("a\\u001b[2J", "caf\\u00e9", "a\\\"b", "a\\\\b")) {
      assertThatThrownBy(() -> parse("{\"key\":\"" + key + "\"}"))
          .as(key)
          .isInstanceOf(JsonProcessingException.class);
    }
  }

  @Test
  void parse_thenWrite_keepsValuesAndOrder() throws Exception {
    String text =
        "{\"b\":1,\"a\":[true,false,null,\"x\",-2.5,12345678901,"
            + "123456789012345678901234567890],\"o\":{}}";

    assertThat(Json.write(parse(text))).isEqualTo(text);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "garbage", "{\"a\":1} {}", "{\"a\":1}x", "{\"a\":", "[1,]"})
  void parse_whatIsNotOneJsonValue_fails(String text) {
    assertThatThrownBy(() -> parse(text)).isInstanceOf(JsonProcessingException.class);
  }

  @Test
  void parse_deepNesting_fails() {
    String deep = "[".repeat(100) + "]".repeat(100);

    assertThatThrownBy(() -> parse(deep)).isInstanceOf(JsonProcessingException.class);
  }

  @Test
  void write_isAsciiWithControlAndNonAsciiCharactersEscaped() throws Exception {
    JsonNode value = Json.object().put("subject", "CN=\u001b[31mK\u00fcche\u007f\u202e\n");

    String written = Json.write(value);

    assertThat(written).isEqualTo("{\"subject\":\"CN=\\u001B[31mK\\u00FCche\\u007F\\u202E\\n\"}");
    assertThat(written.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
    assertThat(parse(written)).isEqualTo(value);
  }

  @Test
  void request_isOneVersionedLine() {
    byte[] line = Json.request("cancel-key", Json.object().put("id", "42"), 7);

    assertThat(new String(line, StandardCharsets.US_ASCII))
        .isEqualTo("{\"v\":1,\"command\":\"cancel-key\",\"args\":{\"id\":\"42\"},\"id\":7}\n");
  }

  @Test
  void request_withSecret_isTheSameJsonAsWithTheValueInArgs() throws Exception {
    byte[] line =
        Json.request(
            "pair",
            Json.object().put("host", "h\"x").put("label", "l"),
            3,
            "key",
            "421234".getBytes(StandardCharsets.US_ASCII));

    String text = new String(line, StandardCharsets.US_ASCII);
    assertThat(text).endsWith("}\n");
    assertThat(standard(text.strip()))
        .isEqualTo(
            standard(
                "{\"v\":1,\"command\":\"pair\",\"args\":"
                    + "{\"host\":\"h\\\"x\",\"label\":\"l\",\"key\":\"421234\"},\"id\":3}"));
  }

  @Test
  void request_withSecretAndNoOtherArgs_isValidJson() throws Exception {
    byte[] line =
        Json.request("pair", Json.object(), 1, "key", "AB12".getBytes(StandardCharsets.US_ASCII));

    assertThat(
            standard(new String(line, StandardCharsets.US_ASCII).strip())
                .path("args")
                .path("key")
                .textValue())
        .isEqualTo("AB12");
  }

  @Test
  void request_secretThatIsNotLettersAndDigits_isRefusedWithoutEchoingIt() {
    assertThatThrownBy(
            () ->
                Json.request(
                    "pair", Json.object(), 1, "key", "12\"}x".getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("12");
  }

  @Test
  void error_hasCodeAndMessage() {
    assertThat(Json.write(Json.error("not_found", "no such key")))
        .isEqualTo("{\"error\":{\"code\":\"not_found\",\"message\":\"no such key\"}}");
  }
}
