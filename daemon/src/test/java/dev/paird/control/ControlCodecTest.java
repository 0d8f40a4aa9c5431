package dev.paird.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.io.JsonTrees;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
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
                + "\"key\":\"42-3141-5926-0\",\"label\":\"x\"},\"id\":7}");

    assertThat(line.root().toString()).doesNotContain("1234");
    assertThat(line.root().path("args").path("host").textValue()).isEqualTo("h");
    assertThat(line.root().path("id").intValue()).isEqualTo(7);
    assertThat(new String(line.key())).isEqualTo("42-3141-5926-0");

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
    assertThatThrownBy(() -> parse("{\"v\":1,\"args\":{\"key\":42-3141-5926-0}}"))
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
  void parseLine_duplicateField_isABadRequestNamingIt_atAnyDepth() {
    for (String line :
        new String[] {
          "{\"v\":1,\"command\":\"status\",\"v\":1}",
          "{\"v\":1,\"command\":\"ping\",\"args\":{\"host\":\"a\",\"host\":\"b\"}}",
          "{\"v\":1,\"command\":\"ping\",\"args\":{\"host\":[{\"host\":1,\"host\":2}]}}",
        }) {
      assertThatThrownBy(() -> parse(line))
          .as(line)
          .isInstanceOfSatisfying(
              PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
          .hasMessageMatching(
              "the field \"(v|host)\" appears twice in one object \\(column [0-9]+\\);"
                  + " send each field once");
    }
  }

  @Test
  void parseLine_keyTwice_isRefused_andNeitherValueIsKept() {
    assertThatThrownBy(
            () ->
                parse(
                    "{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\","
                        + "\"key\":\"42-3141-5926-0\",\"key\":\"43-1234-5678-9\"}}"))
        .hasMessageStartingWith("the field \"key\" appears twice")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("1234"));
  }

  @Test
  void parseLine_pastTheLimitsOnNestingOrNumbers_saysWhichLimit() {
    assertThatThrownBy(() -> parse("{\"v\":1,\"command\":\"status\",\"id\":[[[[[[[[[[1]]]]]]]]]]}"))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
        .hasMessageStartingWith("request nests objects and arrays deeper than 8 levels")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("number"));
    for (String number : new String[] {"123456789012345678901234567890", "1".repeat(2000)}) {
      assertThatThrownBy(() -> parse("{\"v\":1,\"command\":\"status\",\"id\":" + number + "}"))
          .isInstanceOfSatisfying(
              PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
          .hasMessageStartingWith("request has a number longer than 20 characters (column ")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("nests"));
    }
  }

  /** CONTROL.md: numbers longer than 20 characters are refused, a sign and a point included. */
  @Test
  void parseLine_numberOf21CharactersWithASignOrAPoint_isRefused_andOf20IsRead() throws Exception {
    for (String number :
        new String[] {"-12345678901234567890", "0.1234567890123456789", "-0.123456789012345678"}) {
      assertThatThrownBy(() -> parse("{\"v\":1,\"command\":\"status\",\"id\":" + number + "}"))
          .as(number)
          .isInstanceOfSatisfying(
              PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
          .hasMessageStartingWith("request has a number longer than 20 characters");
    }
    for (String number : new String[] {"-1234567890123456789", "0.123456789012345678"}) {
      JsonNode id =
          parse("{\"v\":1,\"command\":\"status\",\"id\":" + number + "}").root().get("id");
      assertThat(id.decimalValue()).as(number).isEqualByComparingTo(new BigDecimal(number));
    }
  }

  @Test
  void parseLine_exponentBeyondWhatANumberHolds_isABadRequest() {
    assertThatThrownBy(() -> parse("{\"v\":1,\"command\":\"status\",\"id\":1e99999999999}"))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
        .hasMessageStartingWith("request has a number too large or too small to hold");
  }

  @Test
  void encode_idWithAFractionOrAnExponent_isEchoedWithItsValue() throws Exception {
    for (String id : new String[] {"1e999", "1e-999", "0.1", "-2.50"}) {
      JsonNode echoed =
          ControlCodec.ok(
                  parse("{\"v\":1,\"command\":\"status\",\"id\":" + id + "}").root().get("id"),
                  JsonTrees.object())
              .get("id");
      String written = new String(ControlCodec.encode(echoed), StandardCharsets.UTF_8).strip();

      assertThat(new BigDecimal(written)).as(id).isEqualByComparingTo(new BigDecimal(id));
    }
  }

  @Test
  void parseLine_malformedUtf8_isABadRequestSayingSo() {
    for (byte[] bad :
        new byte[][] {
          {(byte) 0xc3, '('}, // a lead byte without its continuation
          {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, // a surrogate, which UTF-8 never encodes
          {(byte) 0xc0, (byte) 0xaf}, // an overlong '/'
        }) {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      line.writeBytes("{\"v\":1,\"command\":\"st".getBytes(StandardCharsets.US_ASCII));
      line.writeBytes(bad);
      line.writeBytes("\"}".getBytes(StandardCharsets.US_ASCII));

      assertThatThrownBy(() -> ControlCodec.parseLine(line.toByteArray()))
          .isInstanceOfSatisfying(
              PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
          .hasMessageContaining("not UTF-8");
    }
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
