package dev.paird.trust;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.Printable;
import dev.paird.api.Suite;
import dev.paird.identity.CertificateDer;
import dev.paird.identity.Certificates;
import dev.paird.io.JsonTrees;
import java.io.ByteArrayOutputStream;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The trust store's two files: {@code trusted.json}, the list itself, and {@code trusted.pem}, the
 * bundle of the listed certificates derived from it.
 *
 * <p>{@code trusted.json}, version 1, pretty-printed, keys in this order, peers ordered by {@code
 * added_at} then {@code fingerprint}, so that one list always has one encoding:
 *
 * <pre>{@code
 * {
 *   "version" : 1,
 *   "peers" : [
 *     {
 *       "fingerprint" : "<64 lowercase hex: SHA-256 of the certificate's DER>",
 *       "subject" : "<RFC 2253; informational: read back from the certificate, not from here>",
 *       "certificate" : "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
 *       "added_at" : "<ISO-8601 instant of the first pairing>",
 *       "updated_at" : "<ISO-8601 instant of the last pairing>",
 *       "host" : "<as typed, or the address the peer paired from>",
 *       "suite" : "hmac" | "spake2",
 *       "label" : "<the user's name for it>" | null
 *     }
 *   ]
 * }
 * }</pre>
 *
 * <p>Reading is strict: unknown keys, duplicate keys, trailing data, a fingerprint that is not its
 * certificate's and two entries for one certificate are refused rather than guessed at. A change
 * that needs a new key gets a new version number.
 */
final class TrustFiles {
  static final String JSON_NAME = "trusted.json";
  static final String PEM_NAME = "trusted.pem";
  static final int VERSION = 1;

  /** The order of {@code trusted.json} and of the bundle, and so of {@code list()}. */
  static final Comparator<TrustedPeer> ORDER =
      Comparator.comparing(TrustedPeer::addedAt).thenComparing(TrustedPeer::fingerprint);

  /**
   * The most JSON values (tokens) a {@code trusted.json} may hold: a peer takes 18, and this leaves
   * room for {@link TrustStore#DEFAULT_MAX_PEERS} of them and more.
   */
  static final int MAX_VALUES = 320 * 1024;

  private static final Set<String> TOP_KEYS = Set.of("version", "peers");

  /** The keys of a peer object in the order paird writes them. */
  private static final List<String> PEER_KEY_ORDER =
      List.of(
          "fingerprint",
          "subject",
          "certificate",
          "added_at",
          "updated_at",
          "host",
          "suite",
          "label");

  private static final Set<String> PEER_KEYS = Set.copyOf(PEER_KEY_ORDER);

  private static final int LABEL = PEER_KEY_ORDER.indexOf("label");

  // Trees are read by JsonTrees, without an ObjectMapper (its data binding is some 300 classes).
  private static final JsonFactory JSON =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private TrustFiles() {}

  /** The list as {@code trusted.json} bytes (UTF-8, ending in a newline). */
  static byte[] encodeJson(List<TrustedPeer> peers) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeJson(peers, out);
    return out.toByteArray();
  }

  /**
   * The length of {@link #encodeJson}, counted as it is written rather than kept: judging whether a
   * change fits a 16 MiB list must not hold another 16 to 32 MiB of heap while a compaction may be
   * holding as much.
   */
  static long jsonLength(List<TrustedPeer> peers) {
    CountingStream out = new CountingStream();
    writeJson(peers, out);
    return out.count;
  }

  private static void writeJson(List<TrustedPeer> peers, OutputStream out) {
    DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
    DefaultPrettyPrinter pretty =
        new DefaultPrettyPrinter().withObjectIndenter(indenter).withArrayIndenter(indenter);
    try {
      try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
        json.setPrettyPrinter(pretty);
        json.writeStartObject();
        json.writeNumberField("version", VERSION);
        json.writeArrayFieldStart("peers");
        for (TrustedPeer peer : sorted(peers)) {
          writePeer(json, peer);
        }
        json.writeEndArray();
        json.writeEndObject();
      }
      out.write('\n');
    } catch (IOException e) {
      throw new UncheckedIOException("writing JSON to memory failed", e);
    }
  }

  /** Counts the bytes written to it and keeps none. */
  private static final class CountingStream extends OutputStream {
    long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      count += length;
    }
  }

  /** One peer as an object of {@code trusted.json}; {@link TrustJournal} writes it alike. */
  static void writePeer(JsonGenerator json, TrustedPeer peer) throws IOException {
    json.writeStartObject();
    json.writeStringField("fingerprint", peer.fingerprint());
    json.writeStringField("subject", peer.subject());
    json.writeStringField("certificate", Certificates.toPem(peer.der()));
    json.writeStringField("added_at", peer.addedAt().toString());
    json.writeStringField("updated_at", peer.updatedAt().toString());
    json.writeStringField("host", peer.host());
    json.writeStringField("suite", peer.suite().wireName());
    json.writeStringField("label", peer.label().orElse(null));
    json.writeEndObject();
  }

  /** The factory both files are read and written with: strict about duplicate keys. */
  static JsonFactory json() {
    return JSON;
  }

  /**
   * The bundle of the listed certificates as {@code trusted.pem}: each PEM block preceded by a
   * comment line {@code # FINGERPRINT SUBJECT}; no peers, no bytes.
   *
   * <p>The subject is the peer's choice, so it is escaped to printable ASCII: a subject with a line
   * break must not be able to write a certificate of its own into the bundle.
   */
  static byte[] encodePem(List<TrustedPeer> peers) {
    return encodePem(sorted(peers), new PeerEncodings());
  }

  /**
   * {@link #encodePem(List)} of peers already in {@link #ORDER}, from their kept parts: a
   * concatenation.
   */
  static byte[] encodePem(List<TrustedPeer> ordered, PeerEncodings encodings) {
    return concatenate(pemParts(ordered, encodings));
  }

  /** {@link #encodePem(List, PeerEncodings)} as the kept parts, one a peer, not concatenated. */
  static List<byte[]> pemParts(List<TrustedPeer> ordered, PeerEncodings encodings) {
    List<byte[]> parts = new ArrayList<>(ordered.size());
    for (TrustedPeer peer : ordered) {
      parts.add(encodings.of(peer).pemEntry());
    }
    return parts;
  }

  static byte[] concatenate(List<byte[]> parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] out = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }

  /**
   * Parses {@code trusted.json}; the result is in {@link #ORDER}.
   *
   * @throws PairdException {@link ErrorCode#STATE_INVALID} naming the file, what is wrong with it
   *     and what to do
   */
  static List<TrustedPeer> decodeJson(Path file, byte[] bytes) throws PairdException {
    List<TrustedPeer> streamed = decodeStreaming(file, bytes);
    return streamed != null ? streamed : decodeTree(file, bytes);
  }

  /**
   * The list as {@link #decodeTree} reads it, if the file is as paird writes it ("version" then
   * "peers", every peer's keys present with the types they must have) and every check passes; null
   * otherwise, and {@link #decodeTree} then reads the file again to accept what it may or say what
   * is wrong, with the messages it always gave. Streaming keeps no tree of the whole file: at
   * 10,000 peers that was some 400 ms and a third of start-up's garbage.
   */
  private static List<TrustedPeer> decodeStreaming(Path file, byte[] bytes) {
    try (JsonParser parser = JSON.createParser(bytes)) {
      Tokens tokens = new Tokens(parser);
      if (tokens.next() != JsonToken.START_OBJECT
          || !tokens.nextIsField("version")
          || tokens.next() != JsonToken.VALUE_NUMBER_INT
          || parser.getNumberType() != JsonParser.NumberType.INT
          || parser.getIntValue() != VERSION
          || !tokens.nextIsField("peers")
          || tokens.next() != JsonToken.START_ARRAY) {
        return null;
      }
      List<TrustedPeer> peers = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      JsonToken token;
      while ((token = tokens.next()) == JsonToken.START_OBJECT) {
        String[] values = new String[PEER_KEY_ORDER.size()];
        boolean[] present = new boolean[values.length];
        while ((token = tokens.next()) == JsonToken.FIELD_NAME) {
          int key = PEER_KEY_ORDER.indexOf(parser.currentName());
          if (key < 0 || present[key]) {
            return null;
          }
          present[key] = true;
          token = tokens.next();
          if (token == JsonToken.VALUE_STRING) {
            values[key] = parser.getText();
          } else if (token != JsonToken.VALUE_NULL || key != LABEL) {
            return null;
          }
        }
        for (int key = 0; key < values.length; key++) {
          if (key != LABEL && values[key] == null) {
            return null;
          }
        }
        if (token != JsonToken.END_OBJECT || tokens.count > MAX_VALUES) {
          return null;
        }
        String[] fields = values;
        TrustedPeer peer =
            decodePeer(
                file,
                new PeerFields() {
                  @Override
                  public String text(String key) {
                    return fields[PEER_KEY_ORDER.indexOf(key)];
                  }

                  @Override
                  public Optional<String> label() {
                    return Optional.ofNullable(fields[LABEL]);
                  }
                },
                "peer " + (peers.size() + 1));
        if (!seen.add(peer.fingerprint())) {
          return null;
        }
        peers.add(peer);
      }
      if (token != JsonToken.END_ARRAY
          || tokens.next() != JsonToken.END_OBJECT
          || tokens.next() != null
          || tokens.count > MAX_VALUES) {
        return null;
      }
      return sorted(peers);
    } catch (IOException | PairdException | RuntimeException e) {
      return null;
    }
  }

  /** A parser's tokens, counted as {@link #checkValueCount} counts them. */
  private static final class Tokens {
    private final JsonParser parser;
    private int count;

    Tokens(JsonParser parser) {
      this.parser = parser;
    }

    JsonToken next() throws IOException {
      JsonToken token = parser.nextToken();
      if (token != null) {
        count++;
      }
      return token;
    }

    boolean nextIsField(String name) throws IOException {
      return next() == JsonToken.FIELD_NAME && name.equals(parser.currentName());
    }
  }

  /** A peer object's values, however it was read. */
  private interface PeerFields {
    /** The key's string value; a {@link PairdException} if it is missing or not a string. */
    String text(String key) throws PairdException;

    /** The label, empty if null or missing; a {@link PairdException} if it is not a string. */
    Optional<String> label() throws PairdException;
  }

  private static List<TrustedPeer> decodeTree(Path file, byte[] bytes) throws PairdException {
    JsonNode root;
    try {
      checkValueCount(file, bytes);
      root = JsonTrees.readDocument(JSON, bytes, 0, bytes.length);
    } catch (JsonProcessingException e) {
      // Jackson's own message quotes the text it choked on; the file may not be ours (a link
      // put in its place, a restored backup of something else), so only say where and what.
      JsonLocation at = e.getLocation();
      String where =
          at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
      throw invalid(file, describe(e) + where);
    } catch (CharConversionException e) {
      throw invalid(file, "its bytes are not UTF-8 text, as JSON must be");
    } catch (IOException e) {
      throw invalid(file, "it cannot be read as JSON");
    }
    if (root == null || root.isMissingNode()) {
      throw invalid(file, "it is empty");
    }
    if (!root.isObject()) {
      throw invalid(file, "it must hold a JSON object with \"version\" and \"peers\"");
    }
    checkKeys(file, root, TOP_KEYS, "");
    JsonNode version = root.get("version");
    if (version == null || !version.isIntegralNumber()) {
      throw invalid(file, "it has no integer \"version\"");
    }
    if (!version.canConvertToInt() || version.intValue() != VERSION) {
      throw unknownVersion(
          file,
          version,
          VERSION,
          "Run that paird instead, restore a version "
              + VERSION
              + " file from a backup, or move it aside to start with an empty list"
              + " (every peer must then be paired again).");
    }
    JsonNode peersNode = root.get("peers");
    if (peersNode == null || !peersNode.isArray()) {
      throw invalid(file, "it has no \"peers\" array");
    }
    List<TrustedPeer> peers = new ArrayList<>(peersNode.size());
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < peersNode.size(); i++) {
      int number = i + 1;
      TrustedPeer peer = decodePeer(file, peersNode.get(i), "peer " + number);
      Integer first = seen.putIfAbsent(peer.fingerprint(), number);
      if (first != null) {
        throw invalid(
            file,
            "peers "
                + first
                + " and "
                + number
                + " are the same certificate (fingerprint "
                + peer.fingerprint()
                + ")");
      }
      peers.add(peer);
    }
    return sorted(peers);
  }

  /**
   * One peer object, checked as strictly as in {@code trusted.json}; {@code where} says which, for
   * messages ("peer 3", "line 7").
   */
  static TrustedPeer decodePeer(Path file, JsonNode node, String where) throws PairdException {
    if (!node.isObject()) {
      throw invalid(file, where + " is not a JSON object");
    }
    checkKeys(file, node, PEER_KEYS, where + ": ");
    return decodePeer(
        file,
        new PeerFields() {
          @Override
          public String text(String key) throws PairdException {
            return requiredText(file, node, key, where);
          }

          @Override
          public Optional<String> label() throws PairdException {
            JsonNode labelNode = node.get("label");
            if (labelNode == null || labelNode.isNull()) {
              return Optional.empty();
            }
            if (labelNode.isTextual()) {
              return Optional.of(labelNode.textValue());
            }
            throw invalid(file, where + ": \"label\" must be a string or null");
          }
        },
        where);
  }

  private static TrustedPeer decodePeer(Path file, PeerFields fields, String where)
      throws PairdException {
    String fingerprint = fields.text("fingerprint");
    fields.text("subject");
    String pem = fields.text("certificate");
    Certificate certificate = unparsed(pem);
    if (certificate == null) {
      // Not as paird writes it, or not shaped as a certificate: the JDK's parser decides, and
      // its refusal is the message, as it always was.
      try {
        X509Certificate parsed = Certificates.parsePem(pem);
        certificate =
            new Certificate(Certificates.der(parsed), parsed, Certificates.subject(parsed));
      } catch (CertificateException e) {
        throw invalid(file, where + ": its \"certificate\" is unreadable: " + e.getMessage(), e);
      }
    }
    try {
      // TrustedPeer checks the fingerprint against the certificate; computing it here as well
      // would hash every certificate of the list twice. Only on failure is it needed, to name the
      // mismatch first as the check before the rest always did.
      return decodeRest(file, fields, where, fingerprint, certificate);
    } catch (PairdException | IllegalArgumentException e) {
      String actual = Certificates.fingerprint(certificate.der());
      if (!actual.equals(fingerprint)) {
        throw invalid(
            file,
            where
                + ": its fingerprint "
                + Printable.escaped(fingerprint)
                + " does not match its certificate, whose fingerprint is "
                + actual);
      }
      if (e instanceof IllegalArgumentException) {
        throw invalid(file, where + " (fingerprint " + fingerprint + "): " + e.getMessage(), e);
      }
      throw e;
    }
  }

  /**
   * A listed certificate: its DER, parsed if it had to be, and its subject.
   *
   * @param parsed null unless the JDK parsed it
   */
  private record Certificate(byte[] der, X509Certificate parsed, String subject) {}

  /**
   * The certificate in {@code pem} without the JDK's parser, if the text is exactly what paird
   * writes and its DER passes {@link CertificateDer}'s structure check and its subject is a Name;
   * else null. At 10,000 peers the JDK's parsing was half of start-up, most of its garbage, and
   * about 3 KiB of heap a peer kept; a peer's files and {@code list-trusted} need only the bytes.
   */
  private static Certificate unparsed(String pem) {
    byte[] der = Certificates.canonicalPemDer(pem);
    if (der == null) {
      return null;
    }
    try {
      return new Certificate(
          der, null, Certificates.subjectOfName(CertificateDer.subjectName(der)));
    } catch (CertificateException e) {
      return null;
    }
  }

  private static TrustedPeer decodeRest(
      Path file, PeerFields fields, String where, String fingerprint, Certificate certificate)
      throws PairdException {
    Instant addedAt = instant(file, fields, "added_at", where);
    Instant updatedAt = instant(file, fields, "updated_at", where);
    String host = fields.text("host");
    String suiteName = fields.text("suite");
    Suite suite =
        Suite.fromWireName(suiteName)
            .orElseThrow(
                () ->
                    invalid(
                        file,
                        where
                            + ": unknown suite \""
                            + Printable.escaped(suiteName)
                            + "\" (known: hmac, spake2)"));
    Optional<String> label = fields.label();
    if (certificate.parsed() != null) {
      return new TrustedPeer(
          fingerprint,
          certificate.subject(),
          certificate.parsed(),
          addedAt,
          updatedAt,
          host,
          suite,
          label);
    }
    return TrustedPeer.unparsed(
        fingerprint,
        certificate.subject(),
        certificate.der(),
        addedAt,
        updatedAt,
        host,
        suite,
        label);
  }

  /**
   * Refuses a file with more JSON values than {@link #MAX_VALUES} before building a tree of it: a
   * file of small numbers would otherwise become millions of nodes, more than paird's heap.
   * Counting streams through the bytes and keeps nothing.
   */
  private static void checkValueCount(Path file, byte[] bytes) throws IOException, PairdException {
    try (JsonParser parser = JSON.createParser(bytes)) {
      int values = 0;
      while (parser.nextToken() != null) {
        if (++values > MAX_VALUES) {
          throw invalid(
              file,
              "it holds more than "
                  + MAX_VALUES
                  + " JSON values, more than a"
                  + " list of "
                  + TrustStore.DEFAULT_MAX_PEERS
                  + " peers needs");
        }
      }
    }
  }

  private static String describe(JsonProcessingException e) {
    if (e instanceof StreamConstraintsException) {
      return "it is nested too deeply or holds too long a value";
    }
    if (e instanceof MismatchedInputException) {
      return "it has more after the end of its JSON object";
    }
    return "it is not valid JSON, or it repeats a key,";
  }

  static void checkKeys(Path file, JsonNode node, Set<String> known, String where)
      throws PairdException {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw invalid(
            file, where + "unknown key \"" + Printable.escaped(name) + "\"; known: " + known);
      }
    }
  }

  private static String requiredText(Path file, JsonNode node, String key, String where)
      throws PairdException {
    JsonNode value = node.get(key);
    if (value == null || !value.isTextual()) {
      throw invalid(file, where + ": \"" + key + "\" is missing or not a string");
    }
    return value.textValue();
  }

  private static Instant instant(Path file, PeerFields fields, String key, String where)
      throws PairdException {
    String text = fields.text(key);
    Instant canonical = Instants.parseCanonical(text);
    if (canonical != null) {
      return canonical;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw invalid(
          file,
          where + ": \"" + key + "\" is not an ISO-8601 instant such as 2026-01-01T12:00:00Z",
          e);
    }
  }

  private static List<TrustedPeer> sorted(List<TrustedPeer> peers) {
    List<TrustedPeer> copy = new ArrayList<>(peers);
    copy.sort(ORDER);
    return copy;
  }

  /** What to do about a damaged list, for every message that refuses one. */
  static final String REMEDY =
      "Restore it from a backup, or move it aside to start with an empty list"
          + " (every peer must then be paired again).";

  /** A file of a format version this paird does not read, {@code known} being the one it does. */
  static PairdException unknownVersion(Path file, JsonNode version, int known, String remedy) {
    return invalid(
        file,
        "its format version "
            + version.asText()
            + " is not one this paird reads (it reads version "
            + known
            + "); a newer paird may have written it",
        remedy);
  }

  static PairdException invalid(Path file, String problem) {
    return invalid(file, problem, REMEDY);
  }

  private static PairdException invalid(Path file, String problem, Throwable cause) {
    return new PairdException(ErrorCode.STATE_INVALID, message(file, problem, REMEDY), cause);
  }

  static PairdException invalid(Path file, String problem, String remedy) {
    return new PairdException(ErrorCode.STATE_INVALID, message(file, problem, remedy));
  }

  static PairdException invalid(Path file, String problem, String remedy, Throwable cause) {
    return new PairdException(ErrorCode.STATE_INVALID, message(file, problem, remedy), cause);
  }

  private static String message(Path file, String problem, String remedy) {
    return "the trusted-peer list " + file + " is unusable: " + problem + ". " + remedy;
  }
}
