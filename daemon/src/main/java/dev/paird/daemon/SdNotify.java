package dev.paird.daemon;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The systemd readiness protocol (sd_notify): datagrams such as {@code READY=1} sent to the Unix
 * socket named by {@code $NOTIFY_SOCKET}, through Netty's epoll transport since the JDK cannot send
 * Unix datagrams. Does nothing when paird was not started by systemd with Type=notify.
 */
final class SdNotify {
  private static final Logger log = LoggerFactory.getLogger(SdNotify.class);

  private final Optional<String> socket;
  private final EventLoopGroup group;

  SdNotify(Optional<String> socket, EventLoopGroup group) {
    this.socket = socket.filter(s -> !s.isEmpty());
    this.group = group;
  }

  static SdNotify fromEnvironment(EventLoopGroup group) {
    return new SdNotify(Optional.ofNullable(System.getenv("NOTIFY_SOCKET")), group);
  }

  /**
   * Sends one notification, e.g. {@code "READY=1\nSTATUS=..."}. A failure is logged and never
   * thrown: paird runs on without systemd's bookkeeping. Returns whether it was delivered (false
   * also when not run by systemd).
   */
  boolean send(String state) {
    if (socket.isEmpty()) {
      return false;
    }
    // systemd writes an abstract socket's leading NUL as '@'.
    String path = socket.get().startsWith("@") ? "\0" + socket.get().substring(1) : socket.get();
    Channel channel = null;
    try {
      // Connected, because a datagram channel that is only registered is not active, and Netty
      // fails every write on an inactive channel (NotYetConnectedException).
      ChannelFuture connected =
          new Bootstrap()
              .group(group)
              .channel(EpollDomainDatagramChannel.class)
              .handler(new ChannelInboundHandlerAdapter())
              .connect(new DomainSocketAddress(path));
      channel = connected.channel();
      return completed(connected, state)
          && completed(
              channel.writeAndFlush(Unpooled.copiedBuffer(state, StandardCharsets.UTF_8)), state);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      if (channel != null) {
        channel.close();
      }
    }
  }

  /** Waits for {@code step} of sending {@code state}; logs and returns false if it failed. */
  private boolean completed(ChannelFuture step, String state) throws InterruptedException {
    if (!step.await(5, TimeUnit.SECONDS)) {
      log.warn("systemd notification {} timed out", firstLine(state));
      return false;
    }
    if (!step.isSuccess()) {
      log.warn(
          "cannot notify systemd at {} ({}): {}",
          socket.get(),
          firstLine(state),
          step.cause().toString());
      return false;
    }
    return true;
  }

  private static String firstLine(String state) {
    int newline = state.indexOf('\n');
    return newline < 0 ? state : state.substring(0, newline);
  }
}
