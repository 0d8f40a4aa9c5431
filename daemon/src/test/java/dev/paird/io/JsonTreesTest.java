package dev.paird.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link JsonTrees} against what an {@code ObjectMapper} makes of the same JSON. */
final class JsonTreesTest {
  private static final JsonFactory JSON =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{}",
        "[]",
        "null",
        "\"text \\u00e9\\n\"",
        "{\"a\":1,\"b\":-2147483649,\"c\":123456789012345678901234567890,\"d\":1.5,\"e\":1e400}",
        "{\"a\":[true,false,null,{\"b\":[]}],\"c\":{\"d\":\"e\"},\"f\":-0.0}",
        "  {\"v\":1, \"cmd\":\"status\", \"args\":{\"ttl\":300}}  "
      })
  void readDocument_sameNodesAsMapper(String json) throws Exception {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);

    JsonNode ours = JsonTrees.readDocument(JSON, bytes, 0, bytes.length);

    JsonNode mappers = MAPPER.readTree(bytes);
    assertThat(ours).isEqualTo(mappers);
    assertThat(nodeTypes(ours)).isEqualTo(nodeTypes(mappers));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"a\":1,\"b\":-2147483649,\"c\":123456789012345678901234567890,\"d\":1.5}",
        "{\"a\":[true,false,null,{\"b\":[]}],\"c\":{\"d\":\"e \\\" \\u0001 \\u00e9\"}}",
        "[0.1,-0.0,1e-7,12345.678]"
      })
  void bytes_sameAsMapper(String json) throws Exception {
    JsonNode node = MAPPER.readTree(json);

    assertThat(new String(JsonTrees.bytes(JSON, node), StandardCharsets.UTF_8))
        .isEqualTo(MAPPER.writeValueAsString(node));
  }

  @Test
  void bytes_numbersOfEveryKind_sameAsMapper() throws Exception {
    ObjectNode node = JsonTrees.object();
    node.put("int", 7).put("long", 1L << 40).put("float", 0.1f).put("double", 0.1);
    node.put("bigInteger", BigInteger.TEN.pow(30)).put("decimal", new BigDecimal("1.10"));
    node.put("short", (short) 3).put("binary", new byte[] {1, 2, 3});

    assertThat(new String(JsonTrees.bytes(JSON, node), StandardCharsets.UTF_8))
        .isEqualTo(MAPPER.writeValueAsString(node));
  }

  @Test
  void readDocument_empty_isMissing() throws Exception {
    byte[] bytes = "  x".getBytes(StandardCharsets.UTF_8);

    assertThat(JsonTrees.readDocument(JSON, bytes, 0, 2).isMissingNode()).isTrue();
  }

  @Test
  void readDocument_valueFollowsValue_failsAsTrailingTokens() {
    byte[] bytes = "{\"a\":1} {}".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> JsonTrees.readDocument(JSON, bytes, 0, bytes.length))
        .isInstanceOf(MismatchedInputException.class);
  }

  @Test
  void readDocument_duplicateKey_failsInTheParser() {
    byte[] bytes = "{\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> JsonTrees.readDocument(JSON, bytes, 0, bytes.length))
        .isInstanceOf(StreamReadException.class)
        .isNotInstanceOf(MismatchedInputException.class);
  }

  @Test
  void readDocument_rangeOfALargerArray_readsOnlyTheRange() throws Exception {
    byte[] bytes = "xx{\"a\":[1]}yy".getBytes(StandardCharsets.UTF_8);

    assertThat(JsonTrees.readDocument(JSON, bytes, 2, 9)).isEqualTo(MAPPER.readTree("{\"a\":[1]}"));
  }

  @Test
  void read_midStream_leavesParserOnTheValuesLastToken() throws Exception {
    try (JsonParser parser = JSON.createParser("[{\"a\":[1,2]},3]")) {
      parser.nextToken();
      parser.nextToken();

      JsonNode first = JsonTrees.read(parser);

      assertThat(first).isEqualTo(MAPPER.readTree("{\"a\":[1,2]}"));
      parser.nextToken();
      assertThat(parser.getIntValue()).isEqualTo(3);
    }
  }

  @Test
  void read_atEnd_isNull() throws Exception {
    try (JsonParser parser = JSON.createParser(" ")) {
      assertThat(JsonTrees.read(parser)).isNull();
    }
  }

  /** The node classes of a tree, depth first: equal trees of IntNode and LongNode differ here. */
  private static String nodeTypes(JsonNode node) {
    StringBuilder types = new StringBuilder(node.getClass().getSimpleName());
    for (JsonNode child : node) {
      types.append('(').append(nodeTypes(child)).append(')');
    }
    return types.toString();
  }

  /**
   * A secret value is written quoted in its place among the others, however much the generator had
   * buffered before it (a long field ahead of it passes the generator's first flush), and is wiped
   * once written.
   */
  @ParameterizedTest
  @ValueSource(ints = {0, 10, 9000})
  void bytes_secretText_writtenInPlace_andWiped(int paddingLength) throws Exception {
    byte[] ascii = "42-3141-5926-0".getBytes(StandardCharsets.US_ASCII);
    SecretText secret = SecretText.takeAscii(ascii);
    ObjectNode tree = JsonTrees.object();
    tree.put("before", "x".repeat(paddingLength));
    ObjectNode inner = tree.putObject("result");
    inner.put("id", "k-1");
    inner.set("key", secret.node());
    inner.put("port", 7272);
    tree.putArray("after").add(true).add("y");

    byte[] json = JsonTrees.bytes(JSON, tree);

    JsonNode parsed = MAPPER.readTree(json);
    assertThat(parsed.path("result").path("key").textValue()).isEqualTo("42-3141-5926-0");
    assertThat(parsed.path("result").path("port").intValue()).isEqualTo(7272);
    assertThat(parsed.path("before").textValue()).hasSize(paddingLength);
    assertThat(parsed.path("after").toString()).isEqualTo("[true,\"y\"]");
    assertThat(ascii).containsOnly((byte) 0);
    assertThat(secret.isDestroyed()).isTrue();
    assertThatThrownBy(() -> JsonTrees.bytes(JSON, tree)).isInstanceOf(IllegalStateException.class);
  }

  /** Written any other way, as a tree's {@code toString()} does, a secret shows as redacted. */
  @Test
  void secretText_byJacksonsOwnSerializer_isRedacted() {
    ObjectNode tree = JsonTrees.object();
    tree.set("key", SecretText.takeAscii("ABCD-EFGH".getBytes(StandardCharsets.US_ASCII)).node());

    assertThat(tree.toString()).isEqualTo("{\"key\":\"(redacted)\"}").doesNotContain("ABCD");
    assertThat(tree.get("key").toString()).doesNotContain("ABCD");
  }

  /** Only what needs no escaping is taken, and an array refused is wiped. */
  @ParameterizedTest
  @ValueSource(strings = {"a\"b", "a\\b", "a\nb", "caf\u00e9"})
  void secretText_needingEscapes_isRefused_andWiped(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> SecretText.takeAscii(bytes))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(bytes).containsOnly((byte) 0);
  }
}
