/*
 * net-basic: brings up the virtio-net card, leases an address by DHCP,
 * resolves and pings the gateway (PASS/FAIL lines), then serves HTTP on TCP
 * port 80 and UDP echo on port 7 until a datagram "quit" arrives on port 7
 * (or, with "requests=N" on the command line, until N HTTP responses went
 * out), prints a summary and powers off.
 */
#include "net.h"

#define MBI_FLAG_CMDLINE	(1u << 2)

unsigned checks_passed, checks_failed;
static uint64_t tsc_khz = 1000000;	/* CPUID 0x40000010 when the hypervisor has it */

void pass(const char *name)
{
	kprintf("PASS %s\n", name);
	checks_passed++;
}

void fail(const char *name)
{
	kprintf("FAIL %s\n", name);
	checks_failed++;
}

uint64_t now_us(void)
{
	return rdtsc() / tsc_khz * 1000;
}

static void time_init(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
	if (a >= 0x40000010) {
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000010), "c"(0));
		if (a)
			tsc_khz = a;
	}
}

/* The value of "name=N" among the command line words after argv[0], or 0. */
static unsigned cmdline_number(uint32_t mbi, const char *name)
{
	uint32_t flags = *(volatile uint32_t *)(uint64_t)mbi;
	if (!(flags & MBI_FLAG_CMDLINE))
		return 0;
	const char *p = (const char *)(uint64_t)*(volatile uint32_t *)(uint64_t)(mbi + 16);
	size_t n = strlen(name);
	int first = 1;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *s = p;
		while (*p && *p != ' ')
			p++;
		if (!first && (size_t)(p - s) > n + 1 && memcmp(s, name, n) == 0 && s[n] == '=') {
			unsigned v = 0;
			for (const char *q = s + n + 1; q < p && *q >= '0' && *q <= '9'; q++)
				v = v * 10 + (unsigned)(*q - '0');
			return v;
		}
		first = 0;
	}
	return 0;
}

/* Polls (halting between frames once interrupts work) until *flag is set or ms pass. */
static int wait_for(volatile int *flag, uint64_t ms)
{
	uint64_t end = now_us() + ms * 1000;
	while (!*flag && now_us() < end) {
		if (!net_poll())
			__asm__ volatile("pause");
	}
	return *flag;
}

static __attribute__((noreturn)) void finish(void)
{
	kprintf("net-basic: %u passed, %u failed\n", checks_passed, checks_failed);
	if (checks_failed == 0)
		poweroff();
	debug_exit(checks_failed);
}

static void print_ip(const char *what, uint32_t ip)
{
	kprintf("%s %u.%u.%u.%u", what, ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

void kmain(uint32_t mbi)
{
	serial_init();
	kprintf("net-basic: start\n");
	time_init();
	http_init();
	unsigned limit = cmdline_number(mbi, "requests");

	if (virtio_net_init()) {
		checks_failed++;
		finish();
	}
	irq_setup();
	__asm__ volatile("sti");
	if (virtio_link_up())
		pass("virtio-net link up");
	else
		fail("virtio-net link up: config status bit 0 clear");

	for (int tries = 0; tries < 5 && !dhcp_bound; tries++) {
		dhcp_send_discover();
		wait_for(&dhcp_bound, 2000);
	}
	if (!dhcp_bound) {
		fail("DHCP lease: no ACK after 5 DISCOVERs");
		finish();
	}
	print_ip("dhcp: lease", my_ip);
	print_ip(", gateway", gw_ip);
	kprintf("\n");
	if (my_ip == IP(10, 0, 2, 15) && gw_ip == IP(10, 0, 2, 2))
		pass("DHCP lease 10.0.2.15, gateway 10.0.2.2");
	else
		fail("DHCP lease: not 10.0.2.15 with gateway 10.0.2.2");

	for (int tries = 0; tries < 3 && !gw_mac_known; tries++) {
		arp_request(gw_ip);
		wait_for(&gw_mac_known, 1000);
	}
	if (!gw_mac_known) {
		fail("ARP of the gateway: no reply");
		finish();
	}
	kprintf("arp: gateway at %02x:%02x:%02x:%02x:%02x:%02x\n", gw_mac[0], gw_mac[1], gw_mac[2], gw_mac[3],
		gw_mac[4], gw_mac[5]);
	pass("ARP of the gateway");

	for (uint16_t seq = 1; seq <= 3 && !ping_ok; seq++) {
		ping_send(gw_ip, seq);
		wait_for(&ping_ok, 1000);
	}
	if (ping_ok)
		pass("ping the gateway: echo reply with our data");
	else
		fail("ping the gateway: no echo reply");

	if (virtio_irqs > 0) {
		use_halt = 1;
		kprintf("PASS virtio-net interrupts on IRQ %u (%u so far)\n", virtio_irq_line, virtio_irqs);
		checks_passed++;
	} else {
		kprintf("FAIL virtio-net interrupts on IRQ %u: none arrived\n", virtio_irq_line);
		checks_failed++;
	}

	kprintf("net-basic: serving (HTTP on TCP port %u, echo on UDP port %u", HTTP_PORT, ECHO_PORT);
	if (limit)
		kprintf(", until %u responses", limit);
	kprintf(")\n");
	while (!quit_requested && !(limit && http_served >= limit)) {
		if (!net_poll())
			net_idle();
	}
	/* let connections still open finish */
	uint64_t end = now_us() + 2000000;
	while (tcp_active() && now_us() < end) {
		if (!net_poll())
			__asm__ volatile("pause");
	}
	kprintf("net-basic: served %u HTTP responses on %u connections, %u UDP echoes, %u duplicate segments re-ACKed, "
		"%u resets, %u SYNs dropped (table full), %u connections left open, %u interrupts\n",
		http_served, http_conns, udp_echoed, tcp_dups, tcp_resets, tcp_syn_dropped, tcp_active(), virtio_irqs);
	if (tcp_active()) {
		kprintf("FAIL connections closed: %u still open\n", tcp_active());
		checks_failed++;
	}
	finish();
}
