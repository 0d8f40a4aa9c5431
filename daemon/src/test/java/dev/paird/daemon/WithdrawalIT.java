package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.trust.HubFill;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * INTEGRATION.md, "Kept in step, and crash-safe", on a {@code remove} that withdraws a certificate
 * in place, watched from outside a real paird: a reader of {@code trusted.pem} sees each
 * certificate trusted or withdrawn, OpenSSL reading every other certificate whenever it reads; and
 * outputs that are not what paird wrote (here, deleted by hand) are written whole, as before, so
 * that the remove succeeds.
 */
final class WithdrawalIT {
  /** What stdio (BUFSIZ), and so OpenSSL's file BIO, reads of a file at a time. */
  private static final int PIECE = 4096;

  @TempDir Path dir;

  @Test
  void aReaderBetweenTwoPiecesOfTheBundle_stillReadsEveryOtherCertificateWithOpenSsl()
      throws Exception {
    PairdProcess.Options options = PairdProcess.in(dir);
    Path state = dir.resolve("state");
    options.start().close(); // creates the state directory and the identity
    HubFill.main(new String[] {state.toString(), "16"});
    try (PairdProcess paird = options.start()) {
      Path pem = state.resolve("trusted.pem");
      List<Entry> entries = entries(Files.readString(pem, StandardCharsets.US_ASCII));
      assertThat(entries).hasSize(16);
      // A peer whose block two pieces split: its BEGIN line in one, its END line in the next.
      Entry withdrawn = null;
      long boundary = 0;
      for (Entry entry : entries) {
        long next = (entry.begin / PIECE + 1) * PIECE;
        if (next <= entry.end) {
          withdrawn = entry;
          boundary = next;
          break;
        }
      }
      assertThat(withdrawn).as("a block that a piece boundary splits").isNotNull();
      Entry kept = entries.get(entries.indexOf(withdrawn) == 0 ? 1 : 0);
      Path keptCertificate = Files.writeString(dir.resolve("kept.pem"), kept.block);
      assertThat(opensslVerify(pem, keptCertificate)).as("OpenSSL reads the bundle").isTrue();

      ByteBuffer read;
      try (FileChannel reader = FileChannel.open(pem, StandardOpenOption.READ)) {
        read = ByteBuffer.allocate(Math.toIntExact(reader.size()));
        // The reader has read the pieces up to the boundary when the remove comes...
        while (read.position() < boundary) {
          read.limit(Math.toIntExact(Math.min(boundary, read.position() + PIECE)));
          assertThat(reader.read(read)).isPositive();
        }
        Pairctl.Result remove = options.pairctl().run("remove", withdrawn.fingerprint);
        assertThat(remove.status()).as(remove.err()).isZero();
        // ... and reads the rest after it.
        read.limit(read.capacity());
        while (read.hasRemaining() && reader.read(read) > 0) {
          // next piece
        }
      }
      Path seen = Files.write(dir.resolve("seen.pem"), read.array());

      assertThat(opensslVerify(seen, keptCertificate))
          .as(
              "OpenSSL, reading trusted.pem while %s was withdrawn, still trusts %s, which"
                  + " stays trusted",
              withdrawn.fingerprint, kept.fingerprint)
          .isTrue();
    }
  }

  @Test
  void removingAfterTheBundlesWereDeletedByHand_writesThemWhole() throws Exception {
    PairdProcess.Options options = PairdProcess.in(dir);
    Path state = dir.resolve("state");
    options.start().close(); // creates the state directory and the identity
    HubFill.main(new String[] {state.toString(), "6"});
    try (PairdProcess paird = options.start()) {
      Pairctl ctl = options.pairctl();
      for (String file : List.of("trusted.pem", "trusted.p12")) {
        Files.delete(state.resolve(file));
        String peer = listed(ctl).iterator().next();

        Pairctl.Result remove = ctl.run("remove", peer);

        assertThat(remove.status())
            .as("remove after %s was deleted: %s", file, remove.err())
            .isZero();
        Set<String> listed = listed(ctl);
        assertThat(listed).doesNotContain(peer);
        OutputCertificates.assertHoldExactly(
            state, listed, "a remove after " + file + " was deleted");
      }
    }
  }

  /** One peer's entry in trusted.pem: where its BEGIN and END lines start, and its block. */
  private record Entry(String fingerprint, long begin, long end, String block) {}

  private static List<Entry> entries(String bundle) {
    List<Entry> entries = new ArrayList<>();
    int at = 0;
    while (true) {
      int comment = bundle.indexOf("# ", at);
      if (comment < 0) {
        return entries;
      }
      int begin = bundle.indexOf("-----BEGIN CERTIFICATE-----\n", comment);
      int end = bundle.indexOf("-----END CERTIFICATE-----\n", begin);
      at = end + "-----END CERTIFICATE-----\n".length();
      entries.add(
          new Entry(
              bundle.substring(comment + 2, comment + 66),
              begin,
              end,
              bundle.substring(begin, at)));
    }
  }

  /** Whether {@code openssl verify -CAfile bundle certificate} succeeds. */
  private static boolean opensslVerify(Path bundle, Path certificate) throws Exception {
    Process process =
        new ProcessBuilder(
                "openssl", "verify", "-CAfile", bundle.toString(), certificate.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return process.exitValue() == 0;
  }

  private static Set<String> listed(Pairctl ctl) throws Exception {
    Set<String> out = new TreeSet<>();
    for (JsonNode peer : ctl.json("list-trusted").path("peers")) {
      out.add(peer.path("fingerprint").textValue());
    }
    return out;
  }
}
