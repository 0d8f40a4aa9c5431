package dev.paird.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, before any TLS work is done, whether a new pairing connection may proceed: at most
 * {@code rate_limit_per_minute} new ones per source, then the {@link Connections} limits, which may
 * evict an older connection to make room. A refused connection is closed at once and not passed on;
 * it cost the daemon one accept. An admitted one is passed on, and {@link #EVICTED} is fired
 * through the pipeline of any connection it displaced, whose session handler answers.
 */
@ChannelHandler.Sharable
final class AdmissionHandler extends ChannelInboundHandlerAdapter {
  /** The user event that tells a connection it was evicted to make room for a newer one. */
  static final Object EVICTED =
      new Object() {
        @Override
        public String toString() {
          return "EVICTED";
        }
      };

  private static final Logger log = LoggerFactory.getLogger(AdmissionHandler.class);
  private static final long WARNING_INTERVAL_NANOS = 60_000_000_000L;

  private final Connections connections;
  private final RateLimiter rateLimiter;

  /** Refusals are logged at most once a minute, with a count: a flood must not flood the log. */
  private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARNING_INTERVAL_NANOS);

  private final AtomicInteger unreported = new AtomicInteger();

  AdmissionHandler(Connections connections, RateLimiter rateLimiter) {
    this.connections = connections;
    this.rateLimiter = rateLimiter;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    Channel channel = ctx.channel();
    InetSocketAddress remote = (InetSocketAddress) channel.remoteAddress();
    // The rate first: a connection over it must not push out an admitted one.
    if (!rateLimiter.tryAcquire(remote.getAddress())) {
      refused(remote, "too many from that address (rate_limit_per_minute)");
      ctx.close();
      return;
    }
    Connections.Admission admission =
        connections.admit(channel, SourceAddress.of(remote.getAddress()));
    if (admission instanceof Connections.Admission.Refused refusal) {
      refused(remote, refusal.why());
      ctx.close();
      return;
    }
    Optional<Channel> evicted = ((Connections.Admission.Admitted) admission).evicted();
    evicted.ifPresent(
        victim -> {
          log.debug(
              "evicting a pairing connection from {} to make room for one from {}",
              address(victim),
              remote.getAddress().getHostAddress());
          // On the victim's own event loop, after anything already queued there (its pipeline is
          // built in the same task that admitted it, so the event finds its session handler).
          victim.eventLoop().execute(() -> victim.pipeline().fireUserEventTriggered(EVICTED));
        });
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    connections.remove(ctx.channel());
    super.channelInactive(ctx);
  }

  private void refused(InetSocketAddress remote, String why) {
    int count = unreported.incrementAndGet();
    long now = System.nanoTime();
    long last = lastWarning.get();
    if (now - last >= WARNING_INTERVAL_NANOS && lastWarning.compareAndSet(last, now)) {
      unreported.addAndGet(-count);
      log.warn(
          "refused a pairing connection from {}: {}{}",
          remote.getAddress().getHostAddress(),
          why,
          count > 1 ? " (" + (count - 1) + " more refused since the last warning)" : "");
    } else {
      log.debug(
          "refused a pairing connection from {}: {}", remote.getAddress().getHostAddress(), why);
    }
  }

  private static String address(Channel channel) {
    return channel.remoteAddress() instanceof InetSocketAddress a
        ? a.getAddress().getHostAddress()
        : String.valueOf(channel.remoteAddress());
  }

  int open() {
    return connections.open();
  }
}
