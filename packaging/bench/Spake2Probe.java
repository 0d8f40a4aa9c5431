import dev.paird.protocol.PairingProtocol;
import dev.paird.protocol.spake2.Spake2;
import dev.paird.protocol.spake2.Spake2Confirmation;
import dev.paird.protocol.spake2.Spake2Party;
import dev.paird.protocol.spake2.Spake2Scalar;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * The SPAKE2 floor for packaging/bench-pairing.sh: the CPU of both sides of one SPAKE2 run with
 * paird's own code, run under paird's JVM flags, so that the pairing's budget counts what its
 * arithmetic costs where it runs. Prints the median of the last ROUNDS runs in microseconds, after
 * as many warm-up runs. With {@code -} for ROUNDS it warms up with 200 runs, then reads counts from
 * standard input, one a line, and answers each with the median of that many runs: the benchmark
 * then takes this floor by turns with the figures it is held against.
 *
 * <p>Usage: java -cp LIB/*:DIR Spake2Probe CERT_A.pem CERT_B.pem ROUNDS|-
 */
public final class Spake2Probe {
  public static void main(String[] args) throws Exception {
    byte[] a = der(Path.of(args[0]));
    byte[] b = der(Path.of(args[1]));
    if (args[2].equals("-")) {
      medianOf(a, b, 200);
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        System.out.println(medianOf(a, b, Integer.parseInt(line.trim())));
        System.out.flush();
      }
      return;
    }
    int rounds = Integer.parseInt(args[2]);
    medianOf(a, b, rounds);
    System.out.println(medianOf(a, b, rounds));
  }

  /** The median, in microseconds, of {@code rounds} runs of both sides. */
  private static long medianOf(byte[] a, byte[] b, int rounds) throws Exception {
    SecureRandom random = new SecureRandom();
    byte[] digits = "31415926".getBytes(StandardCharsets.US_ASCII);
    long[] micros = new long[rounds];
    for (int i = 0; i < rounds; i++) {
      long start = System.nanoTime();
      Spake2Scalar wa = Spake2.passwordScalar(digits);
      Spake2Scalar wb = Spake2.passwordScalar(digits);
      Spake2Party partyA = Spake2.start(Spake2.Role.A, wa, a, b, PairingProtocol.SPAKE2_AAD, random);
      Spake2Party partyB = Spake2.start(Spake2.Role.B, wb, a, b, PairingProtocol.SPAKE2_AAD, random);
      Spake2Confirmation confirmA = partyA.finish(partyB.share());
      Spake2Confirmation confirmB = partyB.finish(partyA.share());
      if (!confirmA.verifyPeer(confirmB.ownConfirmation())
          || !confirmB.verifyPeer(confirmA.ownConfirmation())) {
        throw new IllegalStateException("the two sides did not agree");
      }
      wa.destroy();
      wb.destroy();
      partyA.destroy();
      partyB.destroy();
      confirmA.destroy();
      confirmB.destroy();
      micros[i] = (System.nanoTime() - start) / 1000;
    }
    Arrays.sort(micros);
    return micros[rounds / 2];
  }

  private static byte[] der(Path pem) throws Exception {
    String text = Files.readString(pem, StandardCharsets.US_ASCII);
    String body =
        text.substring(
                text.indexOf("-----BEGIN CERTIFICATE-----") + 27,
                text.indexOf("-----END CERTIFICATE-----"))
            .replaceAll("\\s", "");
    return Base64.getDecoder().decode(body);
  }
}
