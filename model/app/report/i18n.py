"""The report's words in English and Dutch: one dict of strings per language, and number formatting.

Dutch uses the programme's own terms (partners, hubs, agenderen / uitproberen / adopteren, woningcorporaties,
gemeenten, mkb) and the labels of Table 3.1 of the TNO evaluation for the partner types.
"""

from __future__ import annotations

import math

from propeller.core import outputs

LANGS = ("en", "nl")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Propeller — steering-group report",
        "subtitle": "Projected partners, KPIs and adoption of the regional hubs, March 2024 to {end}",
        "generated": "Generated {when} from sweep {sweep} ({design} design, {runs} runs, code {code}) in {db}.",
        "toc": "Contents",
        "reference_line": "Reference scenario: {ref}, {rule}. The report's differences are taken from it, run by run "
                          "with the same random seed.",
        "ref_rule_option": "chosen for this report (--reference)",
        "ref_rule_calibrated": "the calibrated scenario, the reference whenever a sweep has it (another can be chosen "
                               "with --reference)",
        "ref_rule_first": "the first scenario of the sweep, as the sweep has no calibrated scenario (another can be "
                          "chosen with --reference)",
        "ref_rule_none": "the only scenario of the sweep, so there are no differences",
        "design_note": "This sweep is a {design} design over {factors} ({points} points). The report is made for "
                       "comparing a few scenarios and posterior projections: each design point is shown here as a "
                       "scenario, at most 6 to a figure. What each factor does is better read with propeller "
                       "sensitivity (Morris and Sobol designs) or propeller compare.",
        "key_numbers": "Key numbers",
        "key_numbers_intro": "Median over the runs of each scenario, with the 90 % interval in brackets; "
                             "probabilities are shares of runs.",
        "how_to_read": "How to read this report",
        "how_to_read_body": [
            "Every number comes from the agent-based model Propeller: organisations move through the Innovatie "
            "Adoptie Propeller (agenderen, uitproberen, adopteren) while the hubs run {instruments} within their "
            "budget. The model is meant to compare scenarios, not to predict.",
            "A scenario was run many times: with parameter sets drawn from the calibration posterior (what the "
            "data of 2024–2025 leave uncertain) and with several random seeds (chance). The line is the median "
            "over those runs, the shaded band holds the middle 50 % of the runs and the dotted lines enclose 90 %.",
            "Dots are observed numbers from the TNO evaluation (Table 3.1, the hub appendices, the KPI table). "
            "The model was calibrated to the observations of September 2025, so agreement there is by "
            "construction; the years after that are projections.",
            "Partners are organisations in rings 1–3 of a hub's spider diagram; ring 4 (potential partners) is "
            "not counted. An organisation that is a partner of two hubs counts twice, as in Table 3.1. "
            "'All hubs' includes Midden, which was not evaluated; 'four hubs' is Noord, Zuid, Oost and West.",
            "A probability 'in year Y' is the share of runs in which the number is at or above the target at the "
            "end of Y: a run that reached the target and fell below it again does not count.",
            "After 2028 the budget halves by assumption (the programme ends in 2028). Assumptions and sources of "
            "every parameter are listed in the appendix.",
        ],
        "sec_partners": "Partners",
        "sec_partners_intro": "Partners of the hubs (rings 1–3), all hubs and the four evaluated hubs, with the "
                              "programme ambition of 500+ organisations.",
        "sec_partners_hub": "Partners per hub",
        "sec_partners_type": "Partners per partner type (Table 3.1)",
        "sec_kpi": "KPI 4 and KPI 5",
        "sec_prob": "Probability of reaching the targets",
        "sec_prob_intro": "Share of runs at or above the target at the end of each year (a run that fell below again "
                          "does not count; the programme ends in 2028, so 2030 shows what lasts): 500+ "
                          "partners (all hubs), KPI 4 (≥ 130 active MKB companies, all hubs) and KPI 5 (+650 people "
                          "with new skills since March 2024, all hubs).",
        "sec_occupancy": "Where organisations stand in the propeller",
        "sec_occupancy_intro": "Organisations per phase of the propeller (agenderen, uitproberen, adopteren; not "
                               "engaged left out) per stakeholder route ({routes}), as the mean over the four themes; "
                               "scenario {scenario}, mean of {n} runs re-run from their stored records. 'n' is the "
                               "number of organisations on the route, engaged or not.",
        "sec_adoption": "Adoption per theme",
        "sec_rings": "Relation intensity per hub (spider diagrams)",
        "sec_rings_intro": "Like Figure 3.1 of the TNO evaluation: each dot is an organisation, placed in the ring "
                           "of its relation with the hub (1 = long-term strategic, 2 = medium-term, 3 = ad hoc, "
                           "4 = potential partner, not counted) and in the sector of its partner type. Dots: one run "
                           "of {scenario} (run {run}, the re-run closest to the scenario's median of partners in "
                           "{date}); the counts per ring are medians over all {n} runs of the scenario.",
        "sec_productivity": "Labour productivity against the trend",
        "sec_compare": "Scenario comparison",
        "sec_compare_intro": "Median and 90 % interval over the runs of each scenario, and the difference from "
                             "{ref} paired by seed (common random numbers).",
        "sec_compare_noref": "Median and 90 % interval over the runs of each scenario (no reference scenario among "
                             "them: no differences).",
        "sec_appendix": "Appendix: assumptions and sources",
        "sec_appendix_intro": "Generated from the comments of scenarios/uncalibrated_defaults.toml (every parameter with its "
                              "source) and scenarios/calibrated.toml (the calibrated values with their 90 % posterior "
                              "intervals). Sources: 003 = TNO 2025 evaluation (line numbers), 000 = NGF proposal, "
                              "001 = national policy letter.",
        "sec_appendix_scenarios": "Scenarios in this report",
        "sec_appendix_params": "Parameters",
        "sec_appendix_counts": "{n} parameters: {parts}.",
        "sec_appendix_data": "Data behind this report",
        "col_parameter": "parameter",
        "col_value": "value",
        "col_kind": "kind",
        "col_source": "source or reasoning",
        "col_scenario": "scenario",
        "col_outcome": "outcome",
        "col_date": "date",
        "col_n": "runs",
        "col_median": "median",
        "col_interval": "90 % interval",
        "col_diff": "difference from {ref}",
        "col_median_interval": "median (90 % interval)",
        "compare_at": "At the end of {date}",
        "col_diff_interval": "90 % interval of the difference",
        "col_year": "year",
        "col_target": "target",
        "kind_source": "source",
        "kind_source_assumption": "source + assumption",
        "kind_assumption": "assumption",
        "kind_setting": "setting",
        "kind_derived": "derived",
        "kind_calibrated": "calibrated",
        "kind_other": "no source stated",
        "calibrated_note": "calibrated {value} (90 % interval {lo} – {hi}; baseline {base})",
        "median": "median",
        "band50": "50 % of runs",
        "band90": "90 % of runs",
        "observed": "observed",
        "observed_four": "observed, four hubs",
        "target": "target",
        "month_axis": "month",
        "year_axis": "year (December)",
        "organisations": "organisations",
        "persons": "persons",
        "partners_axis": "partners (organisations)",
        "share_axis": "share of organisations (%)",
        "probability_axis": "share of runs (%)",
        "index_axis": "index (2024-03 = 100)",
        "target_500": "500+ partners",
        "target_kpi4": "KPI 4 ≥ 130",
        "target_kpi5": "KPI 5 ≥ 650",
        "sec_goals": "The sector's goals",
        "sec_discover": "Under which conditions are the targets missed?",
        "sec_discover_intro": "This sweep varies {factors}. For each target, scenario discovery (PRIM, EMA Workbench) "
                              "looks for the ranges of these factors in which the runs that miss the target lie: "
                              "coverage is the share of all missing runs inside those ranges, density the share of "
                              "the runs inside them that miss. Limits that could be chance (quasi-p-value above 0.05) "
                              "are left out. All {runs} runs of the sweep count, whichever scenarios this report shows.",
        "col_target_date": "target (end of)",
        "col_missing": "runs that miss",
        "col_conditions": "conditions under which they miss",
        "col_coverage": "coverage",
        "col_density": "density",
        "discover_none_missing": "no run misses",
        "discover_all_missing": "every run misses",
        "discover_no_box": "no clear conditions: the misses are spread over the factors' ranges",
        "trend_axis": "index (path without adoption = 100)",
        "sec_goals_intro": "The programme's ambitions reach beyond the hubs: labour productivity +40 % by 2050 "
                           "against the path without the programme, half the market industrial, sustainable and "
                           "digital by 2030, half the primary raw materials by 2030, and Arnhem-Nijmegen's targets "
                           "(Oost stands in for that region). These runs put the hubs in a population the size of the "
                           "national sector, to 2050 (sweep {sweep}, {runs} runs). The probability is the share of "
                           "runs that meet the target at the end of its year. How adoption becomes productivity, "
                           "market share and materials rests mostly on assumptions with wide ranges (listed with their "
                           "sources in the appendix of the model documentation, 'From adoption to the sector's "
                           "goals'); each answer names the one it depends on most.",
        "goals_partners": "The 500+ ambition counts the programme's participating organisations (from 130 "
                          "consortium members), not the hub partners of Table 3.1 (from 405): {scenario} projects "
                          "{partners} hub partners in {date} and {core} in rings 1–2 (long- and medium-term "
                          "collaboration), the model's nearest proxy for participating organisations.",
        "goal_sentence": "{goal} — target {target}: probability {p} under {scenario} ({runs} runs; median "
                         "{median}, 90 % interval {low}–{high} in {by}).",
        "goal_driver": " It depends most on {driver} (over its range {lo}–{hi} the median moves from {mlo} to {mhi});",
        "goal_flip": " the answer would flip at {driver} = {value}.",
        "goal_rerun_note": " (Interpolated from {n} runs re-run at the range's two ends.)",
        "goal_nothing_moves": " Neither an assumption applied after the run nor the pre-run ones at the ends of their "
                              "ranges ({n} runs re-run) move it by 1 % of its distance to the target: it rests on the "
                              "propeller's calibrated movement.",
        "goal_noflip": " no value of it ({a} to {b}) brings the median to the target.",
        "goal_prerun": " No assumption applied after the run moves it; it rests on {assumption} and the propeller's "
                       "calibrated movement (a re-run at that assumption's bounds tells how much).",
        "goal_needed": " Reaching it would need every company to use every theme at {use} of standard use by then.",
        "goal_unreachable": " Not even standard use of every theme by every company would reach it under the "
                            "pathway's gains.",
        "goals_table_goal": "Goal",
        "goals_table_p": "P(met)",
        "goals_table_median": "Median (90 %)",
        "goals_table_driver": "Depends most on",
        "goals_table_flip": "Flips at",
        "goal_productivity": "+40 % by 2050",
        "goal_materials": "−50 % by 2030",
        "goal_market": "half the market by 2030",
        "goal_region_market": "50 % by 2030",
        "goal_region_materials": "−50 % by 2030",
        "goal_500": "ambition 500+",
        "goal_kpi4": "target ≥ 130",
        "goal_kpi5": "target +650",
        "prob_of": "P({target})",
        "end_of_year": "end of {year}",
        "ring": "ring {r}",
        "ring_counts": "Above each diagram: the hub, the month, the partners (rings 1–3) and the organisations in "
                       "rings 1 · 2 · 3 · 4, medians over the runs of the scenario.",
        "from_reruns": "From {n} runs per scenario re-run from their stored records (the sweep did not keep: {cols}).",
        "rerun_identical": "The re-runs reproduce the stored rows exactly ({n} of {n} runs identical).",
        "rerun_differs": "Note: {k} of {n} re-runs differ from their stored rows (stored with code {stored}, re-run "
                         "with {now}); occupancy and spider diagrams come from the current code.",
        "hubs_left_out": "Hubs without partners in any run of this sweep (regional runs) are left out: {hubs}.",
        "figure_alt": "Figure: {title}",
        "footer": "Propeller agent-based model. This file is self-contained: it needs no network or Python to open.",
        "scenario_header": "{name}: {text}",
        "no_header": "(no description in the scenario file)",
    },
    "nl": {
        "title": "Propeller — rapportage voor de stuurgroep",
        "subtitle": "Verwachte partners, KPI's en adoptie van de regionale hubs, maart 2024 tot {end}",
        "generated": "Gemaakt op {when} uit sweep {sweep} ({design}-ontwerp, {runs} runs, code {code}) in {db}.",
        "toc": "Inhoud",
        "reference_line": "Referentiescenario: {ref}, {rule}. De verschillen in dit rapport zijn daarmee vergeleken, "
                          "run voor run met dezelfde toevalsreeks.",
        "ref_rule_option": "gekozen voor dit rapport (--reference)",
        "ref_rule_calibrated": "het gekalibreerde scenario, de referentie zodra een sweep het bevat (een ander kan "
                               "met --reference)",
        "ref_rule_first": "het eerste scenario van de sweep, omdat de sweep geen gekalibreerd scenario heeft (een "
                          "ander kan met --reference)",
        "ref_rule_none": "het enige scenario van de sweep, dus zonder verschillen",
        "design_note": "Deze sweep is een {design}-ontwerp over {factors} ({points} punten). Het rapport is gemaakt "
                       "om enkele scenario's en projecties over de posterior te vergelijken: elk ontwerppunt staat "
                       "hier als scenario, hoogstens 6 per figuur. Wat elke factor doet, is beter te lezen met "
                       "propeller sensitivity (Morris- en Sobol-ontwerpen) of propeller compare.",
        "key_numbers": "Kerncijfers",
        "key_numbers_intro": "Mediaan over de runs van elk scenario, met het 90 %-interval tussen haakjes; "
                             "kansen zijn aandelen van de runs.",
        "how_to_read": "Zo leest u dit rapport",
        "how_to_read_body": [
            "Alle getallen komen uit het agent-based model Propeller: organisaties doorlopen de Innovatie Adoptie "
            "Propeller (agenderen, uitproberen, adopteren) terwijl de hubs {instruments} organiseren binnen hun "
            "budget. Het model is bedoeld om scenario's te vergelijken, niet om te voorspellen.",
            "Elk scenario is vele keren doorgerekend: met parametersets uit de kalibratie (wat de gegevens van "
            "2024–2025 onzeker laten) en met meerdere toevalsreeksen (toeval). De lijn is de mediaan over die "
            "runs, de gekleurde band bevat de middelste 50 % van de runs en de stippellijnen omsluiten 90 %.",
            "Punten zijn waargenomen aantallen uit de TNO-evaluatie (tabel 3.1, de bijlagen per hub, de "
            "KPI-tabel). Het model is gekalibreerd op de waarnemingen van september 2025; overeenstemming daar is "
            "dus geen toetsing. De jaren daarna zijn projecties.",
            "Partners zijn organisaties in ring 1–3 van het spinnenweb van een hub; ring 4 (potentiële partners) "
            "telt niet mee. Een organisatie die partner is van twee hubs telt twee keer, zoals in tabel 3.1. "
            "'Alle hubs' omvat Midden, dat niet is geëvalueerd; 'vier hubs' zijn Noord, Zuid, Oost en West.",
            "Een kans 'in jaar J' is het aandeel runs waarin het aantal aan het eind van J op of boven het doel "
            "ligt: een run die het doel haalde en er weer onder zakte, telt niet mee.",
            "Na 2028 halveert het budget (aanname: het programma eindigt in 2028). Aannames en bronnen van elke "
            "parameter staan in de bijlage.",
        ],
        "sec_partners": "Partners",
        "sec_partners_intro": "Partners van de hubs (ring 1–3), alle hubs en de vier geëvalueerde hubs, met de "
                              "ambitie van het programma: 500+ organisaties.",
        "sec_partners_hub": "Partners per hub",
        "sec_partners_type": "Partners per type partner (tabel 3.1)",
        "sec_kpi": "KPI 4 en KPI 5",
        "sec_prob": "Kans dat de doelen gehaald worden",
        "sec_prob_intro": "Aandeel runs op of boven het doel aan het eind van elk jaar (een run die er weer onder "
                          "zakte, telt niet; het programma eindigt in 2028, dus 2030 laat zien wat blijft): 500+ "
                          "partners (alle hubs), KPI 4 (≥ 130 actieve mkb-bedrijven, alle hubs) en KPI 5 (+650 "
                          "mensen met nieuwe vaardigheden sinds maart 2024, alle hubs).",
        "sec_occupancy": "Waar organisaties staan in de propeller",
        "sec_occupancy_intro": "Organisaties per fase van de propeller (agenderen, uitproberen, adopteren; niet "
                               "betrokken weggelaten) per route ({routes}), gemiddeld over de vier thema's; scenario "
                               "{scenario}, gemiddelde van {n} runs, opnieuw doorgerekend uit hun opgeslagen "
                               "gegevens. 'n' is het aantal organisaties op de route, betrokken of niet.",
        "sec_adoption": "Adoptie per thema",
        "sec_rings": "Intensiteit van de relaties per hub (spinnenwebben)",
        "sec_rings_intro": "Zoals figuur 3.1 van de TNO-evaluatie: elke stip is een organisatie, in de ring van haar "
                           "relatie met de hub (1 = strategisch, lange termijn, 2 = middellange termijn, 3 = ad hoc, "
                           "4 = potentiële partner, telt niet mee) en in de sector van haar type partner. Stippen: één "
                           "run van {scenario} (run {run}, de run die het dichtst bij de mediaan van het aantal "
                           "partners in {date} ligt); de aantallen per ring zijn medianen over alle {n} runs van het "
                           "scenario.",
        "sec_productivity": "Arbeidsproductiviteit ten opzichte van de trend",
        "sec_compare": "Vergelijking van scenario's",
        "sec_compare_intro": "Mediaan en 90 %-interval over de runs van elk scenario, en het verschil met {ref}, "
                             "per toevalsreeks gepaard (common random numbers).",
        "sec_compare_noref": "Mediaan en 90 %-interval over de runs van elk scenario (geen referentiescenario: geen "
                             "verschillen).",
        "sec_appendix": "Bijlage: aannames en bronnen",
        "sec_appendix_intro": "Gemaakt uit het commentaar in scenarios/uncalibrated_defaults.toml (elke parameter met zijn bron) "
                              "en scenarios/calibrated.toml (de gekalibreerde waarden met hun 90 %-interval). Bronnen: "
                              "003 = TNO-evaluatie 2025 (regelnummers), 000 = NGF-voorstel, 001 = Kamerbrief.",
        "sec_appendix_scenarios": "Scenario's in dit rapport",
        "sec_appendix_params": "Parameters",
        "sec_appendix_counts": "{n} parameters: {parts}.",
        "sec_appendix_data": "Gegevens achter dit rapport",
        "col_parameter": "parameter",
        "col_value": "waarde",
        "col_kind": "soort",
        "col_source": "bron of onderbouwing",
        "col_scenario": "scenario",
        "col_outcome": "uitkomst",
        "col_date": "datum",
        "col_n": "runs",
        "col_median": "mediaan",
        "col_interval": "90 %-interval",
        "col_diff": "verschil met {ref}",
        "col_median_interval": "mediaan (90 %-interval)",
        "compare_at": "Aan het eind van {date}",
        "col_diff_interval": "90 %-interval van het verschil",
        "col_year": "jaar",
        "col_target": "doel",
        "kind_source": "bron",
        "kind_source_assumption": "bron + aanname",
        "kind_assumption": "aanname",
        "kind_setting": "instelling",
        "kind_derived": "afgeleid",
        "kind_calibrated": "gekalibreerd",
        "kind_other": "geen bron vermeld",
        "calibrated_note": "gekalibreerd {value} (90 %-interval {lo} – {hi}; basiswaarde {base})",
        "median": "mediaan",
        "band50": "50 % van de runs",
        "band90": "90 % van de runs",
        "observed": "waargenomen",
        "observed_four": "waargenomen, vier hubs",
        "target": "doel",
        "month_axis": "maand",
        "year_axis": "jaar (december)",
        "organisations": "organisaties",
        "persons": "personen",
        "partners_axis": "partners (organisaties)",
        "share_axis": "aandeel organisaties (%)",
        "probability_axis": "aandeel runs (%)",
        "index_axis": "index (2024-03 = 100)",
        "target_500": "500+ partners",
        "target_kpi4": "KPI 4 ≥ 130",
        "target_kpi5": "KPI 5 ≥ 650",
        "sec_goals": "De doelen van de sector",
        "sec_discover": "Onder welke omstandigheden worden de doelen gemist?",
        "sec_discover_intro": "Deze sweep varieert {factors}. Per doel zoekt scenario discovery (PRIM, EMA Workbench) "
                              "de bereiken van deze factoren waarin de runs liggen die het doel missen: de dekking "
                              "(coverage) is het aandeel van alle missende runs binnen die bereiken, de dichtheid "
                              "(density) het aandeel van de runs daarbinnen dat mist. Grenzen die toeval kunnen zijn "
                              "(quasi-p-waarde boven 0,05) zijn weggelaten. Alle {runs} runs van de sweep tellen mee, "
                              "welke scenario's dit rapport ook toont.",
        "col_target_date": "doel (eind)",
        "col_missing": "runs die missen",
        "col_conditions": "omstandigheden waaronder ze missen",
        "col_coverage": "dekking",
        "col_density": "dichtheid",
        "discover_none_missing": "geen run mist",
        "discover_all_missing": "elke run mist",
        "discover_no_box": "geen duidelijke omstandigheden: de missers liggen verspreid over de bereiken",
        "trend_axis": "index (pad zonder adoptie = 100)",
        "sec_goals_intro": "De ambities van het programma reiken verder dan de hubs: arbeidsproductiviteit +40 % in "
                           "2050 ten opzichte van het nul-scenario, de helft van de markt industrieel, duurzaam en "
                           "digitaal in 2030, de helft minder primaire grondstoffen in 2030, en de doelen van "
                           "Arnhem-Nijmegen (Oost staat voor die regio). Deze runs plaatsen de hubs in een populatie "
                           "zo groot als de landelijke sector, tot 2050 (sweep {sweep}, {runs} runs). De kans is het "
                           "aandeel runs dat het doel aan het eind van het doeljaar haalt. Hoe adoptie productiviteit, "
                           "marktaandeel en grondstoffen wordt, rust vooral op aannames met brede marges (met hun "
                           "bronnen beschreven in de modeldocumentatie, 'From adoption to the sector's goals'); elk "
                           "antwoord noemt de aanname waar het het meest van afhangt.",
        "goals_partners": "De ambitie 500+ telt deelnemende organisaties van het programma (vanaf 130 "
                          "consortiumleden), niet de hubpartners van tabel 3.1 (vanaf 405): {scenario} projecteert "
                          "{partners} hubpartners in {date} en {core} in ring 1–2 (samenwerking op lange en "
                          "middellange termijn), de beste benadering in het model van deelnemende organisaties.",
        "goal_sentence": "{goal} — doel {target}: kans {p} in {scenario} ({runs} runs; mediaan {median}, 90 %-"
                         "interval {low}–{high} in {by}).",
        "goal_driver": " Het hangt het meest af van {driver} (over de marge {lo}–{hi} gaat de mediaan van {mlo} naar "
                       "{mhi});",
        "goal_flip": " het antwoord kantelt bij {driver} = {value}.",
        "goal_rerun_note": " (Geïnterpoleerd uit {n} runs, opnieuw gedraaid op de twee grenzen van de marge.)",
        "goal_nothing_moves": " Geen aanname na de run en geen aanname vooraf op de grenzen van haar marge ({n} runs "
                              "opnieuw gedraaid) verschuift het met 1 % van de afstand tot het doel: het rust op de "
                              "gekalibreerde beweging door de propeller.",
        "goal_noflip": " geen waarde ervan ({a} tot {b}) brengt de mediaan op het doel.",
        "goal_prerun": " Geen aanname na de run verschuift het; het rust op {assumption} en de gekalibreerde "
                       "beweging door de propeller (een run op de grenzen van die aanname laat zien hoeveel).",
        "goal_needed": " Daarvoor zou elk bedrijf elk thema tegen dan voor {use} van standaardgebruik moeten toepassen.",
        "goal_unreachable": " Zelfs standaardgebruik van elk thema door elk bedrijf zou het met de aangenomen "
                            "winsten niet halen.",
        "goals_table_goal": "Doel",
        "goals_table_p": "Kans",
        "goals_table_median": "Mediaan (90 %)",
        "goals_table_driver": "Hangt het meest af van",
        "goals_table_flip": "Kantelt bij",
        "goal_productivity": "+40 % in 2050",
        "goal_materials": "−50 % in 2030",
        "goal_market": "helft van de markt in 2030",
        "goal_region_market": "50 % in 2030",
        "goal_region_materials": "−50 % in 2030",
        "goal_500": "ambitie 500+",
        "goal_kpi4": "doel ≥ 130",
        "goal_kpi5": "doel +650",
        "prob_of": "kans {target}",
        "end_of_year": "eind {year}",
        "ring": "ring {r}",
        "ring_counts": "Boven elk spinnenweb: de hub, de maand, het aantal partners (ring 1–3) en de organisaties in "
                       "ring 1 · 2 · 3 · 4, medianen over de runs van het scenario.",
        "from_reruns": "Uit {n} runs per scenario, opnieuw doorgerekend uit hun opgeslagen gegevens (de sweep "
                       "bewaarde niet: {cols}).",
        "rerun_identical": "De herhaalde runs geven exact de opgeslagen rijen ({n} van {n} runs gelijk).",
        "rerun_differs": "Let op: {k} van {n} herhaalde runs wijken af van hun opgeslagen rijen (opgeslagen met code "
                         "{stored}, herhaald met {now}); bezetting en spinnenwebben komen uit de huidige code.",
        "hubs_left_out": "Hubs zonder partners in alle runs van deze sweep (regionale runs) zijn weggelaten: {hubs}.",
        "figure_alt": "Figuur: {title}",
        "footer": "Agent-based model Propeller. Dit bestand is zelfstandig: het opent zonder netwerk of Python.",
        "scenario_header": "{name}: {text}",
        "no_header": "(geen beschrijving in het scenariobestand)",
    },
}

# Labels of output columns: English from their declaration (propeller.core.outputs); here the translations, keyed by
# output name. An output without a translation shows its English label.
OUTPUT_LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "partners_total": "Partners, alle hubs",
        "partners_four_hubs": "Partners, vier geëvalueerde hubs",
        "kpi4_mkb": "KPI 4: actieve mkb-bedrijven, alle hubs",
        "kpi5_skilled": "KPI 5: mensen met nieuwe vaardigheden, alle hubs",
        "kpi4_mkb_four_hubs": "KPI 4, vier geëvalueerde hubs",
        "kpi5_skilled_four_hubs": "KPI 5, vier geëvalueerde hubs",
        "adopted_share": "Aandeel geadopteerd, alle organisaties",
        "productivity_index": "Arbeidsproductiviteit t.o.v. de trend",
        "sector_productivity_index": "Arbeidsproductiviteit met de trend van de sector",
        "primary_material_index": "Primaire grondstoffen per eenheid productie",
        "market_share_all_three": "Marktaandeel industrieel, duurzaam en digitaal",
        "market_share_industrial_region": "Industrieel bouwen, regio",
        "primary_material_index_region": "Primaire grondstoffen, regio",
    },
}

HUB_NAMES = dict(outputs.HUB.names)

TYPE_NAMES = {
    "en": {
        "mkb_builders": "1 MKB construction & installation", "clients": "2 clients (wocos, public clients)",
        "technology": "3 technology partners", "suppliers": "4 suppliers", "other_chain": "5 other chain partners",
        "branch_ngo": "6 branch associations / NGOs", "education": "7 education & knowledge",
        "government": "8 governments",
    },
    "nl": {
        "mkb_builders": "1 (mkb-)bouw- en installatiebedrijven", "clients": "2 opdrachtgevers",
        "technology": "3 technologiepartners", "suppliers": "4 toeleveranciers", "other_chain": "5 overige ketenpartners",
        "branch_ngo": "6 brancheverenigingen / ngo's", "education": "7 onderwijs- en kennisinstellingen",
        "government": "8 overheden",
    },
}

# The library's scenarios (scenarios/library/*.toml, by file name) as a reader says them; a scenario that is not
# here (one of the user's own, or a design point such as "funding=0.5") is shown by its name.
SCENARIO_NAMES = {
    "en": {
        "calibrated": "calibrated (as planned)", "uncalibrated": "uncalibrated defaults",
        "funding_minus50": "funding −50 %", "funding_plus50": "funding +50 %",
        "target_followers": "targeting followers", "deepen_chain_relations": "deeper chain relations",
        "regional_national_link": "regional–national link", "education_like_noord": "education as in Noord",
        "zuid_adopts_mlc": "Zuid adopts the mLC format", "midden_full_hub": "Midden a full hub",
        "national_rollout": "national roll-out",
        **{f"connector_leaves_{h}": f"connector of {n} leaves" for h, n in HUB_NAMES.items()},
    },
    "nl": {
        "calibrated": "gekalibreerd (zoals gepland)", "uncalibrated": "ongekalibreerde standaardwaarden",
        "funding_minus50": "financiering −50 %", "funding_plus50": "financiering +50 %",
        "target_followers": "volgers gericht benaderen", "deepen_chain_relations": "diepere ketenrelaties",
        "regional_national_link": "koppeling regionaal–landelijk", "education_like_noord": "onderwijs zoals in Noord",
        "zuid_adopts_mlc": "Zuid neemt het mLC-format over", "midden_full_hub": "Midden een volwaardige hub",
        "national_rollout": "landelijke uitrol",
        **{f"connector_leaves_{h}": f"verbinder van {n} vertrekt" for h, n in HUB_NAMES.items()},
    },
}

ROUTE_NAMES = {
    "en": {"mkb": "MKB companies", "woco": "woningcorporaties (housing associations)",
           "gemeente": "gemeenten (municipalities)", "school": "schools (mbo/hbo/wo)", "generic": "other organisations"},
    "nl": {"mkb": "mkb-bedrijven", "woco": "woningcorporaties", "gemeente": "gemeenten",
           "school": "onderwijs (mbo/hbo/wo)", "generic": "overige organisaties"},
}

PHASE_NAMES = {
    "en": dict(outputs.PHASE.names),
    "nl": {"none": "niet betrokken", "agenderen": "agenderen", "uitproberen": "uitproberen", "adopteren": "adopteren"},
}

THEME_NAMES = {
    "en": {"biobased_circular": "biobased & circular building", "digitalisation": "digitalisation",
           "industrialisation": "industrialisation", "chain_collaboration": "chain collaboration"},
    "nl": {"biobased_circular": "biobased & circulair bouwen", "digitalisation": "digitalisering",
           "industrialisation": "industrialisatie", "chain_collaboration": "ketensamenwerking"},
}


class Text:
    """The strings of one language: ``t("key", **fields)``; ``t.num(v)`` formats a number for that language."""

    def __init__(self, lang: str):
        if lang not in LANGS:
            raise ValueError(f"lang: expected one of {', '.join(LANGS)}, got {lang!r}")
        self.lang = lang
        self.strings = STRINGS[lang]

    def __call__(self, key: str, **fields) -> str:
        s = self.strings[key]
        return s.format(**fields) if fields else s

    def label(self, name: str) -> str:
        """The label of an output column (propeller.core.outputs) in this language (its name if it is not declared:
        a column of an older model version, stored in a sweep)."""
        translated = OUTPUT_LABELS.get(self.lang, {}).get(name)
        if translated:
            return translated
        return outputs.get(name).label if outputs.is_output(name) else name

    def list(self, key: str, **fields) -> list[str]:
        return [s.format(**fields) if fields else s for s in self.strings[key]]

    def instruments(self) -> str:
        """The registered instruments in month order, as a list in a sentence ("a, b and c" / "a, b en c")."""
        from propeller.core.instruments import registry

        labels = [registry.label(name, self.lang) for name in registry.names()]
        last = {"en": "and", "nl": "en"}[self.lang]
        return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} {last} {labels[-1]}"

    def hub(self, hub: str) -> str:
        return HUB_NAMES[hub]

    def scenario(self, name: str) -> str:
        """A scenario as a reader says it (SCENARIO_NAMES), else its own name."""
        return SCENARIO_NAMES[self.lang].get(name, name)

    def type(self, t: str) -> str:
        return TYPE_NAMES[self.lang][t]

    def route(self, r: str) -> str:
        return ROUTE_NAMES[self.lang][r]

    def phase(self, p: str) -> str:
        return PHASE_NAMES[self.lang][p]

    def theme(self, k: str) -> str:
        return THEME_NAMES[self.lang][k]

    def num(self, v: float, digits: int | None = None) -> str:
        """A number for reading: thousands separated, `digits` decimals (default: 0 from 100 up, else 3 significant)."""
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return "–"
        if digits is None:
            a = abs(v)
            digits = 0 if a >= 100 or float(v).is_integer() else (1 if a >= 10 else (2 if a >= 1 else 3))
        s = f"{v:,.{digits}f}"
        if self.lang == "nl":
            s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return s.replace("-", "−")

    def pct(self, share: float, digits: int = 0) -> str:
        return self.num(100.0 * share, digits) + " %"
