package dev.paird.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

final class ControlCodecTest {

  private static ControlCodec.RequestLine parse(String line) throws PairdException {
    return ControlCodec.parseLine(line.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void parseLine_pairKey_isTakenOutOfTheTreeAsCharacters() throws Exception {
    ControlCodec.RequestLine line =
        parse(
            "{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\","
                + "\"key\":\"42-1234-5678-9\",\"label\":\"x\"},\"id\":7}");

    assertThat(line.root().toString()).doesNotContain("1234");
    assertThat(line.root().path("args").path("host").textValue()).isEqualTo("h");
    assertThat(line.root().path("id").intValue()).isEqualTo(7);
    assertThat(new String(line.key())).isEqualTo("42-1234-5678-9");

    char[] key = line.key();
    line.close();
    assertThat(key).containsOnly('\0');
  }

  @Test
  void parseLine_keyThatIsNotAString_staysInTheTreeForTheRequestToRefuse() throws Exception {
    ControlCodec.RequestLine line = parse("{\"v\":1,\"command\":\"pair\",\"args\":{\"key\":5}}");

    assertThat(line.key()).isNull();
    assertThat(line.root().path("args").path("key").intValue()).isEqualTo(5);
  }

  @Test
  void parseLine_invalidJson_doesNotEchoTheText() {
    assertThatThrownBy(() -> parse("{\"v\":1,\"args\":{\"key\":42-1234-5678-9}}"))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
        .hasMessageContaining("not valid JSON")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("1234"));
  }

  @Test
  void parseLine_secondObjectOnTheLine_isABadRequest() {
    assertThatThrownBy(() -> parse("{\"v\":1,\"command\":\"status\"} {\"v\":1}"))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
        .hasMessageContaining("something follows the request's JSON value");
  }

  /** Jackson alone would guess these encodings from their zero bytes or byte-order marks. */
  @Test
  void parseLine_utf16OrUtf32_isABadRequest_butUtf8IsRead() throws Exception {
    String status = "{\"v\":1,\"command\":\"status\"}";
    for (java.nio.charset.Charset charset :
        new java.nio.charset.Charset[] {
          StandardCharsets.UTF_16LE,
          StandardCharsets.UTF_16BE,
          StandardCharsets.UTF_16, // with a byte-order mark
          java.nio.charset.Charset.forName("UTF-32LE")
        }) {
      assertThatThrownBy(() -> ControlCodec.parseLine(status.getBytes(charset)))
          .as("%s", charset)
          .isInstanceOfSatisfying(
              PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
          .hasMessageContaining("not UTF-8");
    }
    assertThat(
            parse("{\"v\":1,\"command\":\"status\",\"id\":\"é☺\"}").root().path("id").textValue())
        .isEqualTo("é☺");
  }

  @Test
  void parseLine_idThatIsAnObjectOrAnArray_isABadRequest() {
    for (String id : new String[] {"{\"a\":1}", "[1]"}) {
      assertThatThrownBy(() -> parse("{\"v\":1,\"command\":\"status\",\"id\":" + id + "}"))
          .as(id)
          .isInstanceOfSatisfying(
              PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
          .hasMessage("\"id\" must be a string, a number, true, false or null");
    }
  }
}
