/*
 * IA32_APIC_BASE mode transitions (SDM vol. 3, 11.12.5): x2APIC -> xAPIC
 * directly is #GP, disabled -> x2APIC directly is #GP, and x2APIC ->
 * disabled -> xAPIC -> x2APIC works, with IPIs flowing in both interfaces.
 * Runs on the last AP (CPU 0 when it is alone), which catches the #GPs in its
 * own IDT handler.
 */
#include "smp.h"

struct mode_result {
	uint64_t base0;			/* IA32_APIC_BASE at the start (x2APIC) */
	unsigned gp_x2_to_xapic;	/* vector for EN=1, EXTD=0 from x2APIC */
	uint64_t base_after_gp;
	uint32_t id_after_gp;
	unsigned to_disabled;		/* vector (NO_FAULT) */
	unsigned x2_msr_disabled;	/* reading the x2APIC ID MSR while disabled */
	unsigned gp_disabled_to_x2;
	unsigned to_xapic;
	uint32_t xapic_id;
	uint32_t xapic_svr;		/* after re-enabling (reported, not checked) */
	unsigned x2_msr_xapic;		/* x2APIC MSR in xAPIC mode */
	uint32_t self_xapic;		/* self-IPIs counted in xAPIC mode */
	unsigned to_x2;
	uint32_t x2_id;
	uint32_t x2_svr;
	uint32_t self_x2;
	uint64_t base_end;
};

static struct mode_result mr;
static volatile uint32_t target;	/* who gets the IPIs the tested CPU sends */

static uint32_t wait_count(struct percpu *p, uint32_t from)
{
	WAIT_UNTIL(p->irq[V_COUNT] != from, 1000);
	return p->irq[V_COUNT] - from;
}

/*
 * One V_COUNT IPI to the target, then wait until it was taken: two IPIs with
 * the same vector sent before the first is accepted merge in the IRR.
 */
static void send_to_target(struct percpu *p)
{
	if (target == p->id)
		return;
	struct percpu *t = &percpu[target];
	uint32_t n = t->irq[V_COUNT];
	apic_send(target, V_COUNT);
	WAIT_UNTIL(t->irq[V_COUNT] != n, 1000);
}

static void transitions(void *arg)
{
	(void)arg;
	struct percpu *p = this_cpu();
	uint64_t v, base = rdmsr(MSR_APIC_BASE);
	uint64_t addr = base & ~0xfffull & ~APIC_BASE_EXTD & ~APIC_BASE_EN & ~APIC_BASE_BSP;
	uint64_t bsp = base & APIC_BASE_BSP;
	uint32_t n;

	mr.base0 = base;
	mr.gp_x2_to_xapic = wrmsr_safe(MSR_APIC_BASE, addr | bsp | APIC_BASE_EN);
	mr.base_after_gp = rdmsr(MSR_APIC_BASE);
	mr.id_after_gp = (uint32_t)rdmsr(MSR_X2APIC_BASE + (APIC_ID >> 4));

	cli();		/* no interrupts while there is no APIC to EOI */
	mr.to_disabled = wrmsr_safe(MSR_APIC_BASE, addr | bsp);
	p->x2apic = 0;
	mr.x2_msr_disabled = rdmsr_safe(MSR_X2APIC_BASE + (APIC_ID >> 4), &v);
	mr.gp_disabled_to_x2 = wrmsr_safe(MSR_APIC_BASE, addr | bsp | APIC_BASE_EN | APIC_BASE_EXTD);

	mr.to_xapic = wrmsr_safe(MSR_APIC_BASE, addr | bsp | APIC_BASE_EN);
	mr.xapic_id = *xapic_reg(APIC_ID) >> 24;
	mr.xapic_svr = *xapic_reg(APIC_SVR);
	mr.x2_msr_xapic = rdmsr_safe(MSR_X2APIC_BASE + (APIC_ID >> 4), &v);
	*xapic_reg(APIC_SVR) = SVR_ENABLE | V_SPURIOUS;
	sti();
	/* xAPIC: a self-IPI through the ICR shorthand, one to the target through the MMIO ICR */
	n = p->irq[V_COUNT];
	apic_send(0, ICR_SELF | V_COUNT);
	mr.self_xapic = wait_count(p, n);
	send_to_target(p);

	cli();
	mr.to_x2 = wrmsr_safe(MSR_APIC_BASE, addr | bsp | APIC_BASE_EN | APIC_BASE_EXTD);
	p->x2apic = 1;
	mr.x2_id = (uint32_t)rdmsr(MSR_X2APIC_BASE + (APIC_ID >> 4));
	mr.x2_svr = apic_read(APIC_SVR);
	sti();
	/* x2APIC: the SELF IPI register, and the ICR MSR to the target */
	n = p->irq[V_COUNT];
	wrmsr(MSR_X2APIC_BASE + (APIC_SELF_IPI >> 4), V_COUNT);
	mr.self_x2 = wait_count(p, n);
	send_to_target(p);
	mr.base_end = rdmsr(MSR_APIC_BASE);
}

void apic_mode_tests(void)
{
	struct check c;
	unsigned cpu = ncpus - 1;
	struct percpu *me = this_cpu(), *t = &percpu[cpu];

	target = 0;
	uint32_t mine = me->irq[V_COUNT];
	if (cpu == 0)
		transitions(0);
	else
		run_on(cpu, transitions, 0);

	check_begin(&c, "x2APIC -> xAPIC transitions");
	check_true(&c, "job did not finish", cpu == 0 || wait_job(cpu, 5000));
	check_eq(&c, "start mode (EN|EXTD)", mr.base0 & (APIC_BASE_EN | APIC_BASE_EXTD),
		 APIC_BASE_EN | APIC_BASE_EXTD);
	check_eq(&c, "x2APIC -> xAPIC directly: vector", mr.gp_x2_to_xapic, VEC_GP);
	check_eq(&c, "IA32_APIC_BASE after the #GP", mr.base_after_gp, mr.base0);
	check_eq(&c, "x2APIC ID after the #GP", mr.id_after_gp, cpu);
	check_eq(&c, "x2APIC -> disabled: vector", mr.to_disabled, NO_FAULT);
	check_eq(&c, "x2APIC ID MSR while disabled: vector", mr.x2_msr_disabled, VEC_GP);
	check_eq(&c, "disabled -> x2APIC directly: vector", mr.gp_disabled_to_x2, VEC_GP);
	check_eq(&c, "disabled -> xAPIC: vector", mr.to_xapic, NO_FAULT);
	check_eq(&c, "xAPIC ID register", mr.xapic_id, cpu);
	check_eq(&c, "x2APIC MSR in xAPIC mode: vector", mr.x2_msr_xapic, VEC_GP);
	check_eq(&c, "self-IPIs in xAPIC mode", mr.self_xapic, 1);
	check_eq(&c, "xAPIC -> x2APIC: vector", mr.to_x2, NO_FAULT);
	check_eq(&c, "x2APIC ID MSR", mr.x2_id, cpu);
	check_eq(&c, "SVR kept across xAPIC -> x2APIC", mr.x2_svr, SVR_ENABLE | V_SPURIOUS);
	check_eq(&c, "self-IPIs in x2APIC mode", mr.self_x2, 1);
	check_eq(&c, "IA32_APIC_BASE at the end", mr.base_end, mr.base0);
	if (cpu != 0) {
		/* the AP sent one IPI from each mode to CPU 0; now one back to it */
		WAIT_UNTIL(me->irq[V_COUNT] - mine >= 2, 1000);
		check_eq(&c, "IPIs CPU 0 got from the AP", me->irq[V_COUNT] - mine, 2);
		uint32_t theirs = t->irq[V_COUNT];
		apic_send(cpu, V_COUNT);
		check_eq(&c, "IPIs the AP got from CPU 0 afterwards", wait_count(t, theirs), 1);
	}
	/* SVR after disable/enable: the SDM says the APIC "may" return to its reset state */
	check_end(&c, "on CPU %u: #GP on both illegal transitions, IPIs in both modes; SVR 0x%x after re-enabling",
		  cpu, mr.xapic_svr);
}
