package dev.paird.ctl;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import com.fasterxml.jackson.databind.node.POJONode;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * A secret string in one of paird's answers, the key of a {@code new-key} answer, held as ASCII
 * bytes and never as a {@code String}: taken out of the JSON parser's own buffer, which it wipes,
 * kept in the answer's tree as a node of its own, and written once, straight to standard output,
 * then wiped. Its bytes are printable ASCII other than {@code "} and {@code \}, so that it needs no
 * escaping in JSON and cannot carry a terminal escape sequence.
 *
 * <p>Written any other way (Jackson's own serializer, as {@code JsonNode.toString()} uses) it shows
 * as {@value #REDACTED}; so does {@link #toString()}.
 */
final class SecretValue implements JsonSerializable {
  static final String REDACTED = "(redacted)";

  private final byte[] ascii;
  private boolean destroyed;

  private SecretValue(byte[] ascii) {
    this.ascii = ascii;
  }

  /**
   * The parser's current string token as a secret, wiping the characters in the parser's buffer.
   * Null if a character is not printable ASCII or is {@code "} or {@code \}: no key has one.
   */
  static SecretValue take(JsonParser parser) throws IOException {
    char[] buffer = parser.getTextCharacters();
    int offset = parser.getTextOffset();
    int length = parser.getTextLength();
    byte[] ascii = new byte[length];
    boolean printable = true;
    for (int i = 0; i < length; i++) {
      char c = buffer[offset + i];
      printable &= c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
      ascii[i] = (byte) c;
    }
    Arrays.fill(buffer, offset, offset + length, '\0');
    if (!printable) {
      Arrays.fill(ascii, (byte) 0);
      return null;
    }
    return new SecretValue(ascii);
  }

  /** This value as a node of a tree. */
  JsonNode node() {
    return new POJONode(this);
  }

  /** The secret in {@code node}, if it holds one. */
  static SecretValue in(JsonNode node) {
    return node instanceof POJONode pojo && pojo.getPojo() instanceof SecretValue secret
        ? secret
        : null;
  }

  /** Writes the bytes to {@code out}, then wipes them, whether the write worked or not. */
  void writeTo(OutputStream out) throws IOException {
    if (destroyed) {
      throw new IllegalStateException("a secret value is written once");
    }
    try {
      out.write(ascii);
    } finally {
      destroy();
    }
  }

  /** Wipes the bytes, written or not. */
  void destroy() {
    Arrays.fill(ascii, (byte) 0);
    destroyed = true;
  }

  boolean isDestroyed() {
    return destroyed;
  }

  @Override
  public void serialize(JsonGenerator gen, SerializerProvider serializers) throws IOException {
    gen.writeString(REDACTED);
  }

  @Override
  public void serializeWithType(
      JsonGenerator gen, SerializerProvider serializers, TypeSerializer typeSer)
      throws IOException {
    gen.writeString(REDACTED);
  }

  @Override
  public String toString() {
    return "SecretValue[" + REDACTED + "]";
  }
}
