/**
 * Which of Portuguese, Spanish and English a question is in: words that belong to one language
 * only count 2, letters only one language uses (ç ã õ / ñ ¿ ¡) count 3. Ties go to Portuguese, then
 * Spanish (most Kommo accounts this serves are in Brazil and Spanish-speaking Latin America), and a
 * question with no clue at all is answered in English.
 */
import { normalizeWord } from './text.js';

export type Language = 'pt' | 'es' | 'en';

const WORDS: Record<Language, string> = {
  pt:
    'quantos quantas quanto qual quais quem hoje ontem foram tivemos temos tem teve ganhos ganhas ganhamos ganhou vendas ' +
    'receita faturamento faturamos faturou passado passada neste nesta nesse nessa esse essa estao sao nao voce ' +
    'tarefas tarefa atrasadas abertos abertas aberto aberta funil funis contato contatos negocio negocios encontre ' +
    'encontrar procure procurar busque pesquise mostre mostrar ache ultimos ultimas dias vendeu vendemos venderam novos ' +
    'novas criados criadas perdemos perdeu perdas taxa conversao medio media responsavel pelo pela pelos pelas mais ' +
    'melhor melhores do da dos das no na nos nas um uma ao aos janeiro fevereiro marco junho julho setembro outubro ' +
    'novembro dezembro maio semanal chamado chamada nome dados sobre entraram chegaram estao esta este ano mes ' +
    'concluidas pendentes vencidas ate entre desde partir valor total qtd quantidade ticket etapa usuario vendedor cliente ' +
    'agora ainda todos todas qual foi como estamos sera seria favor me diga tenho tivemos foi ou de que se por ' +
    'houve existem existe tiveram temos tinha estamos voces nossos nossas nosso nossa minha meus minhas conta empresa',
  es:
    'cuantos cuantas cuanto cual cuales quien quienes hoy ayer fueron tuvimos tenemos tiene tuvo ganados ganadas ganamos ' +
    'gano ventas ingresos ingreso facturacion facturamos facturo pasado pasada estan son usted tareas tarea vencidas ' +
    'abiertos abiertas abierto abierta embudo embudos contacto contactos negocio negocios trato tratos encuentra encontrar ' +
    'busca buscar busque muestra muestrame mostrar ultimos ultimas dias vendio vendimos vendieron nuevos nuevas creados ' +
    'creadas perdimos perdio perdidas tasa conversion promedio responsable el la los las del al un una y enero febrero ' +
    'marzo mayo junio julio septiembre setiembre octubre noviembre diciembre llamado llamada nombre datos sobre entraron ' +
    'llegaron este esta mes ano hasta entre desde partir valor total cantidad ticket etapa usuario vendedor cliente hay ' +
    'cerrados cerradas pendientes mas mejor mejores ahora todavia todos todas fue como estamos seria favor dime tengo o de por ' +
    'hubo existen existe tuvieron tenia han hemos ha se nuestros nuestras nuestro nuestra mis cuenta empresa',
  en:
    'how many much what which who whom was were did do does is are the of in on this last today yesterday week month year ' +
    'won win lost new created open sales revenue average deal deals conversion rate tasks task overdue find show search ' +
    'look up contact contacts pipeline pipelines stage stages by per top most days we our have has had there and from to ' +
    'between since january february march april may june july august september october november december named called ' +
    'closed sold sell made make earn best user users seller sellers salesperson rep reps number count total value pending ' +
    'late past previous so far get me give details about for with weeks months rate now currently still all any ' +
    'right tell please it its an be been being at or not yes than them they their you your size close closing ' +
    'got came exist exists there account company us my',
};

const SETS: Record<Language, Set<string>> = {
  pt: new Set(WORDS.pt.split(' ')),
  es: new Set(WORDS.es.split(' ')),
  en: new Set(WORDS.en.split(' ')),
};

const LANGS: readonly Language[] = ['pt', 'es', 'en'];

export function detectLanguage(question: string): Language {
  const score: Record<Language, number> = { pt: 0, es: 0, en: 0 };
  const lower = question.toLowerCase();
  if (/[çãõ]/.test(lower)) score.pt += 3;
  if (/[ñ¿¡]/.test(lower)) score.es += 3;
  for (const raw of lower.split(/[^\p{L}\p{N}]+/u)) {
    if (!raw) continue;
    const word = normalizeWord(raw);
    const inLangs = LANGS.filter((l) => SETS[l].has(word));
    if (inLangs.length === 1) score[inLangs[0]!] += 2;
    else if (inLangs.length === 2) for (const l of inLangs) score[l] += 0.5;
  }
  const best = Math.max(score.pt, score.es, score.en);
  if (best === 0) return 'en';
  return LANGS.find((l) => score[l] === best)!;
}

/** A word of the everyday vocabulary of any of the three languages (not a name). */
export function isCommonWord(normalized: string): boolean {
  return LANGS.some((l) => SETS[l].has(normalized));
}
