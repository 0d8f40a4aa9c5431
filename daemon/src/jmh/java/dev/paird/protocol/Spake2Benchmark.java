package dev.paird.protocol;

import dev.paird.protocol.spake2.Spake2;
import dev.paird.protocol.spake2.Spake2Confirmation;
import dev.paird.protocol.spake2.Spake2Party;
import dev.paird.protocol.spake2.Spake2Scalar;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The CPU time of one side of a SPAKE2 run as the sessions do it, per role: the password scalar
 * from the code's digits, a fresh scalar and the share, finish on the peer's share (validation, K,
 * transcript, keys) and the confirmations, this side's taken and the peer's checked. The identities
 * are the two fixture certificates and the AAD is the protocol's, as in a real run.
 *
 * <p>The peer's share is a valid one for the same code, made once; its confirmation cannot match
 * this side's fresh share, so the check fails, which costs the same as one that succeeds (a
 * constant-time comparison of 32 bytes).
 *
 * <p>Run with {@code mvn -B -q -Pbench -pl daemon -am verify -Djmh.args=Spake2}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(3)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class Spake2Benchmark {
  @Param({"A", "B"})
  public Spake2.Role role;

  private final SecureRandom random = new SecureRandom();
  private final byte[] digits = "31415926".getBytes(StandardCharsets.US_ASCII);
  private final byte[] peerConfirmation = new byte[Spake2.CONFIRMATION_BYTES];
  private byte[] peerShare;

  @Setup
  public void setUp() {
    Spake2.Role peer = role == Spake2.Role.A ? Spake2.Role.B : Spake2.Role.A;
    peerShare =
        Spake2.start(
                peer,
                Spake2.passwordScalar(digits),
                Fixtures.CLIENT_DER,
                Fixtures.SERVER_DER,
                PairingProtocol.SPAKE2_AAD,
                random)
            .share();
  }

  @Benchmark
  public boolean oneSide(Blackhole sent) throws GeneralSecurityException {
    Spake2Scalar w = Spake2.passwordScalar(digits);
    Spake2Party party =
        Spake2.start(
            role, w, Fixtures.CLIENT_DER, Fixtures.SERVER_DER, PairingProtocol.SPAKE2_AAD, random);
    w.destroy();
    sent.consume(party.share());
    Spake2Confirmation confirmation = party.finish(peerShare);
    party.destroy();
    sent.consume(confirmation.ownConfirmation());
    boolean confirmed = confirmation.verifyPeer(peerConfirmation);
    confirmation.destroy();
    return confirmed;
  }
}
